import RegistryCore

/// The registration-rate trend as an inline SVG line chart (no script, no external file).
enum TrendChart {
    /// `points`: (date, rate or nil). The y axis runs from 0% to 100%.
    static func svg(_ points: [(date: String, rate: Double?)], title: String) -> String {
        let width = 640.0, height = 240.0, left = 44.0, right = 12.0, top = 16.0, bottom = 36.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let count = max(points.count - 1, 1)
        func x(_ index: Int) -> Double { left + plotWidth * Double(index) / Double(count) }
        func y(_ rate: Double) -> Double { top + plotHeight * (1 - min(max(rate, 0), 1)) }
        var svg = """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(HTML.escape(title))" xmlns="http://www.w3.org/2000/svg">
            <title>\(HTML.escape(title))</title>
            """
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg += "<line class=\"axis\" x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(y(tick))\" y2=\"\(y(tick))\"/>"
            svg += "<text x=\"4\" y=\"\(y(tick) + 4)\">\(Int(tick * 100))%</text>"
        }
        let known = points.enumerated().compactMap { index, point in point.rate.map { (index, $0) } }
        if !known.isEmpty {
            svg += "<polyline class=\"line\" points=\"" + known.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ") + "\"/>"
            for (index, rate) in known {
                svg += "<circle class=\"dot\" cx=\"\(x(index))\" cy=\"\(y(rate))\" r=\"3\"><title>\(HTML.escape(points[index].date)) \(HTML.percent(rate))</title></circle>"
            }
        }
        let labelEvery = max(1, points.count / 6)
        for (index, point) in points.enumerated() where index % labelEvery == 0 || index == points.count - 1 {
            let anchor = index == 0 ? "start" : index == points.count - 1 ? "end" : "middle"
            svg += "<text x=\"\(x(index))\" y=\"\(height - 12)\" text-anchor=\"\(anchor)\">\(HTML.escape(String(point.date.prefix(7))))</text>"
        }
        return svg + "</svg>"
    }
}

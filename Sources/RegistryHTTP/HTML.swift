import Foundation
import Hummingbird
import RegistryCore

/// Server-rendered HTML: escaping, the page layout, and the response. Pages are plain
/// Swift (no template engine): every value passes through ``HTML/escape(_:)``.
enum HTML {
    /// Escapes text for an element's content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A whole page: the navigation for the signed-in account's role, the title, the body.
    static func page(title: String, session: WebSession?, body: String) -> String {
        var nav = ""
        if let session {
            let role = session.principal.role
            var links: [(String, String)] = [("/", "首页")]
            if Authorization.permits(role, "worklist.unregisteredUnits") { links.append(("/todo", "今日待办")) }
            if Authorization.permits(role, "unit.get") { links.append(("/units", "房屋")) }
            if Authorization.permits(role, "unit.add") { links.append(("/units/new", "登记房屋")) }
            if Authorization.permits(role, "resident.register") { links.append(("/residents/new", "登记住户")) }
            if Authorization.permits(role, "resident.get") { links.append(("/residents/lookup", "查询人员")) }
            if Authorization.permits(role, Authorization.ledgerExport) { links.append(("/ledger", "台账导出")) }
            if Authorization.permits(role, "ledger.diff") { links.append(("/weekly", "每周核对")) }
            if Authorization.permits(role, "audit.list") { links.append(("/audit", "审计")) }
            nav = "<nav>" + links.map { "<a href=\"\($0.0)\">\($0.1)</a>" }.joined() + """
                <form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="\(escape(session.csrf))">\
                <span class="who">\(escape(session.displayName ?? session.principal.username))</span><button type="submit">退出</button></form></nav>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · 流动人口与出租屋登记</title><link rel="stylesheet" href="/assets/style.css"></head>
            <body><header><span class="brand">流动人口与出租屋登记</span>\(nav)</header>
            <main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    /// An HTML response.
    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A text field with its label, its kept value and, when it is at fault, the message beside it.
    static func field(_ name: String, label: String, value: String?, error: String?, type: String = "text",
                      required: Bool = false, hint: String? = nil) -> String {
        let invalid = error != nil ? " aria-invalid=\"true\" class=\"invalid\"" : ""
        return """
            <label for="\(name)">\(escape(label))\(required ? " <span class=\"req\">*</span>" : "")</label>
            <input id="\(name)" name="\(name)" type="\(type)" value="\(escape(value ?? ""))"\(required ? " required" : "")\(invalid) autocomplete="off">
            \(hint.map { "<small>\(escape($0))</small>" } ?? "")\(error.map { "<p class=\"error\" id=\"\(name)-error\">\(escape($0))</p>" } ?? "")
            """
    }

    /// The hidden CSRF field of a changing form.
    static func csrf(_ session: WebSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(session.csrf))\">"
    }

    /// A percentage with one decimal, or a dash.
    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "—"
    }
}

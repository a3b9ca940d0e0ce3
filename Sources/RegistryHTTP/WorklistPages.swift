import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RegistryCore

/// The clerk's "今日待办" page (`GET /todo`) and the liaison's weekly reconciliation
/// (`GET /weekly`, its xlsx or CSV file from `POST /weekly`), within the account's areas.
struct WorklistPages {
    let service: HTTPService

    func add(to router: Router<RegistryRequestContext>) {
        router.get("/todo") { _, context in
            guard let session = context.session else { return SessionRoutes.redirect("/login") }
            guard Authorization.permits(session.principal.role, UnregisteredUnits.method) else { return PageRoutes.forbidden(session) }
            return await todo(session)
        }
        router.get("/weekly") { request, context in
            guard let session = context.session else { return SessionRoutes.redirect("/login") }
            guard Authorization.permits(session.principal.role, LedgerDiff.method) else { return PageRoutes.forbidden(session) }
            let to = request.uri.queryParameters["to"].flatMap { CivilDate(String($0)) } ?? CivilDate.today()
            return await weekly(session, to: to)
        }
        router.post("/weekly") { request, context in
            let form = try await FormData.read(request, context: context)
            guard let session = context.session else { return SessionRoutes.redirect("/login") }
            guard Authorization.permits(session.principal.role, LedgerDiff.method) else { return PageRoutes.forbidden(session) }
            guard form.fields["csrf"] == session.csrf else { return PageRoutes.forbidden(session) }
            return await weeklyDownload(session, form)
        }
    }

    private func todo(_ session: WebSession) async -> Response {
        let principal = session.principal, today = CivilDate.today()
        var body = "<p>日期：\(today)（您负责区域内的待办事项）</p>"
        if case let .success(units) = await service.call(UnregisteredUnits.method, [("asOf", .string(today.description)), ("limit", .int(10))], as: principal) {
            body += "<section class=\"card\"><h2>已发现未登记的出租屋（最久的在前）</h2>"
            body += table(["房屋编号", "地址", "发现日期", "已过天数", "房东"], (units["units"]?.arrayValue ?? []).map { unit in
                let id = unit["unitId"]?.stringValue ?? ""
                return ["<a href=\"/units/\(PageRoutes.pathComponent(id))\">\(HTML.escape(id))</a>", HTML.escape(unit["address"]?.stringValue ?? ""),
                        HTML.escape(unit["discoveredOn"]?.stringValue ?? ""), "\(unit["days"]?.intValue ?? 0)", HTML.escape(unit["landlordName"]?.stringValue ?? "—")]
            }, empty: "没有超过 30 天未登记的出租屋。") + "</section>"
        }
        let weekStart = today.adding(days: -6)
        if case let .success(timeliness) = await service.call(Timeliness.method, [("level", .string("subdistrict")), ("from", .string(weekStart.description)),
                                                                                 ("to", .string(today.description))], as: principal) {
            let rows = (timeliness["rows"]?.arrayValue ?? []).filter { ($0["moveIns"]?.intValue ?? 0) > 0 }
            body += "<section class=\"card\"><h2>本周入住登记及时率（3 天内录入）</h2>"
            body += table(["街道", "入住登记", "及时", "及时率"], rows.map { row in
                [HTML.escape(row["name"]?.stringValue ?? ""), "\(row["moveIns"]?.intValue ?? 0)", "\(row["onTime"]?.intValue ?? 0)", HTML.percent(row["rate"]?.doubleValue)]
            }, empty: "本周没有新的入住登记。") + "</section>"
        }
        if case let .success(permits) = await service.call(PermitEligible.method, [("asOf", .string(today.description)), ("limit", .int(10))], as: principal) {
            body += "<section class=\"card\"><h2>可申领居住证的流动人口</h2>"
            body += table(["身份证号", "姓名", "房屋编号", "连续居住起", "可申领日"], (permits["residents"]?.arrayValue ?? []).map { person in
                let unit = person["unitId"]?.stringValue ?? ""
                return [HTML.escape(person["idNumber"]?.stringValue ?? ""), HTML.escape(person["name"]?.stringValue ?? ""),
                        "<a href=\"/units/\(PageRoutes.pathComponent(unit))\">\(HTML.escape(unit))</a>",
                        HTML.escape(person["since"]?.stringValue ?? ""), HTML.escape(person["eligibleOn"]?.stringValue ?? "")]
            }, empty: "暂无。") + "</section>"
        }
        if case let .success(duplicates) = await service.call(Duplicates.method, [("limit", .int(10))], as: principal) {
            body += "<section class=\"card\"><h2>疑似重复记录</h2>"
            body += table(["类型", "原因", "记录一", "记录二"], (duplicates["pairs"]?.arrayValue ?? []).map { pair in
                func side(_ value: JSONValue?) -> String {
                    if let unit = value?["unitId"]?.stringValue, value?["idNumber"] == nil {
                        return "<a href=\"/units/\(PageRoutes.pathComponent(unit))\">\(HTML.escape(unit))</a> \(HTML.escape(value?["address"]?.stringValue ?? ""))"
                    }
                    let unit = value?["unitId"]?.stringValue ?? ""
                    return "\(HTML.escape(value?["idNumber"]?.stringValue ?? "")) \(HTML.escape(value?["name"]?.stringValue ?? "")) <a href=\"/units/\(PageRoutes.pathComponent(unit))\">\(HTML.escape(unit))</a>"
                }
                let reason = pair["reason"]?.stringValue ?? ""
                let reasonText = reason == "same_name_birth" ? "姓名、性别、出生日期相同" : reason == "near_number" ? "姓名相同，号码仅差一处" : "同一网格地址相同"
                return [pair["kind"]?.stringValue == "unit" ? "房屋" : "人员", reasonText, side(pair["a"]), side(pair["b"])]
            }, empty: "没有发现疑似重复。") + "</section>"
        }
        return HTML.response(HTML.page(title: "今日待办", session: session, body: body))
    }

    private func weekly(_ session: WebSession, to: CivilDate) async -> Response {
        let from = to.adding(days: -7)
        var body = """
            <p>\(from) 至 \(to) 您负责区域内流动人口的变动（迁入、迁出、变更住址）。</p>
            <form method="post" action="/weekly" class="card">\(HTML.csrf(session))
            <input type="hidden" name="from" value="\(from)"><input type="hidden" name="to" value="\(to)">
            <button type="submit" name="format" value="xlsx">下载 Excel (xlsx)</button>
            <button type="submit" name="format" value="csv" class="secondary">下载 CSV</button></form>
            """
        switch await service.call(LedgerDiff.method, [("from", .string(from.description)), ("to", .string(to.description))], as: session.principal) {
        case let .success(diff):
            let rows = LedgerDiff.rows(of: diff)
            let names = ["arrived": "迁入", "left": "迁出", "moved": "变更住址"]
            body += table(["变动", "身份证号", "姓名", "房屋编号", "原房屋编号", "日期"], rows.map { row in
                [names[row[0]] ?? row[0]] + row.dropFirst().map(HTML.escape)
            }, empty: "这一周没有变动。")
        case let .failure(error):
            body += "<p class=\"alert\" role=\"alert\">\(HTML.escape(FormMessages.message(error)))</p>"
        }
        return HTML.response(HTML.page(title: "每周核对", session: session, body: body))
    }

    /// The longest span the page's download covers: the file is built in memory, so a
    /// crafted form cannot ask for years (the command line has no such limit).
    static let maxDownloadDays = 92

    private func weeklyDownload(_ session: WebSession, _ form: FormData) async -> Response {
        guard let from = form["from"].flatMap(CivilDate.init), let to = form["to"].flatMap(CivilDate.init) else {
            return HTML.response(HTML.page(title: "每周核对", session: session, body: "<p class=\"alert\">日期不正确。</p>"), status: .unprocessableContent)
        }
        guard to.dayNumber - from.dayNumber <= Self.maxDownloadDays else {
            return HTML.response(HTML.page(title: "每周核对", session: session,
                                           body: "<p class=\"alert\">这里最多下载 \(Self.maxDownloadDays) 天的变动；更长的时间段请用命令 registry ledger diff。</p>"),
                                 status: .unprocessableContent)
        }
        switch await service.call(LedgerDiff.method, [("from", .string(from.description)), ("to", .string(to.description))], as: session.principal) {
        case let .success(diff):
            let xlsx = form["format"] == "xlsx"
            let file = MemoryDestination()
            do {
                try LedgerDiff.write(diff, format: xlsx ? .xlsx : .csv, to: OutputSink(file))
            } catch {
                return HTML.response(HTML.page(title: "每周核对", session: session, body: "<p class=\"alert\">\(HTML.escape(FormMessages.message(error)))</p>"),
                                     status: .internalServerError)
            }
            let name = "diff-\(from)-\(to).\(xlsx ? "xlsx" : "csv")"
            return Response(status: .ok, headers: [.contentType: xlsx ? Self.xlsxType : "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(name)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        case let .failure(error):
            return HTML.response(HTML.page(title: "每周核对", session: session, body: "<p class=\"alert\">\(HTML.escape(FormMessages.message(error)))</p>"),
                                 status: PageRoutes.formStatus(error))
        }
    }

    /// The media type of an xlsx workbook.
    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    private func table(_ headers: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p>\(HTML.escape(empty))</p>" }
        return "<div class=\"table-wrap\"><table><thead><tr>" + headers.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined() + "</tbody></table></div>"
    }
}

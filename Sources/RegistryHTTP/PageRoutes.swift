import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RegistryCore

/// The pages, in Chinese, each needing a session (else `303` to `/login`) and a role that
/// may use it (else `403`). Forms that change something carry the session's CSRF token; a
/// POST without it is `403`. No personal data goes into a URL: an ID number is only ever
/// POSTed.
struct PageRoutes {
    let service: HTTPService

    func add(to router: Router<RegistryRequestContext>) {
        router.get("/") { _, context in try await page(context, needs: "metrics.registrationRate") { session in await dashboard(session) } }
        router.get("/units") { request, context in
            try await page(context, needs: "unit.find") { session in
                await unitSearch(session, text: request.uri.queryParameters["q"].map(String.init) ?? "")
            }
        }
        router.get("/units/new") { _, context in
            try await page(context, needs: "unit.add") { session in HTML.response(unitForm(session, values: [:], error: nil)) }
        }
        router.post("/units/new") { request, context in
            try await post(request, context, needs: "unit.add") { session, form in await addUnit(session, form) }
        }
        router.get("/units/:unitId") { _, context in
            try await page(context, needs: "unit.get") { session in
                await unitPage(session, unitId: context.parameters.get("unitId") ?? "")
            }
        }
        router.get("/residents/new") { request, context in
            try await page(context, needs: "resident.register") { session in
                let unit = request.uri.queryParameters["unitId"].map(String.init)
                return HTML.response(residentForm(session, values: ["unitId": unit ?? ""], error: nil, done: nil))
            }
        }
        router.post("/residents/new") { request, context in
            try await post(request, context, needs: "resident.register") { session, form in await registerResident(session, form) }
        }
        router.get("/residents/lookup") { _, context in
            try await page(context, needs: "resident.get") { session in HTML.response(lookupForm(session, values: [:], error: nil, result: nil)) }
        }
        router.post("/residents/lookup") { request, context in
            try await post(request, context, needs: "resident.get") { session, form in await lookup(session, form) }
        }
        router.get("/ledger") { _, context in
            try await page(context, needs: Authorization.ledgerExport) { session in HTML.response(ledgerForm(session, values: [:], error: nil)) }
        }
        router.post("/ledger") { request, context in
            try await post(request, context, needs: Authorization.ledgerExport) { session, form in exportLedger(session, form) }
        }
        router.get("/audit") { request, context in
            try await page(context, needs: "audit.list") { session in
                await auditPage(session, after: request.uri.queryParameters["after"].flatMap { Int64(String($0)) })
            }
        }
    }

    // MARK: - Gates

    /// Runs `body` for a signed-in account whose role may call `method`.
    private func page(_ context: RegistryRequestContext, needs method: String,
                      _ body: (WebSession) async throws -> Response) async throws -> Response {
        guard let session = context.session else { return SessionRoutes.redirect("/login") }
        guard Authorization.permits(session.principal.role, method) else { return Self.forbidden(session) }
        return try await body(session)
    }

    /// ``page(_:needs:_:)`` for a POSTed form, which must carry the session's CSRF token.
    private func post(_ request: Request, _ context: RegistryRequestContext, needs method: String,
                      _ body: (WebSession, FormData) async throws -> Response) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        return try await page(context, needs: method) { session in
            guard let token = form.fields["csrf"], token == session.csrf else { return Self.forbidden(session) }
            return try await body(session, form)
        }
    }

    static func forbidden(_ session: WebSession) -> Response {
        HTML.response(HTML.page(title: "无权访问", session: session, body: """
            <p class="alert" role="alert">您的角色（\(HTML.escape(session.principal.role.rawValue))）不能使用此页面，或表单已过期。</p>
            <p><a class="button" href="/">返回首页</a></p>
            """), status: .forbidden)
    }

    // MARK: - Dashboard

    private func dashboard(_ session: WebSession) async -> Response {
        let principal = session.principal
        let key = principal.isCountyWide ? "*" : principal.areas.map(\.code).joined(separator: ",")
        let body = await service.figures.figures(key + "@" + CivilDate.today().description) { [self] in
            await figures(principal)
        }
        return HTML.response(HTML.page(title: "首页", session: session, body: body))
    }

    /// The dashboard's figures for the principal's areas (aggregates only).
    private func figures(_ principal: Principal) async -> String {
        let today = CivilDate.today()
        // The account's area, and the level of the rows below it.
        var parent: String? = nil
        var level = "subdistrict"
        var trendArea: String? = nil
        if !principal.isCountyWide, let area = principal.areas.first {
            parent = area.code
            trendArea = area.code
            level = switch area.level { case .county, .subdistrict: "community"; case .community, .grid: "grid" }
        }
        if trendArea == nil, case let .success(list) = await service.call("area.list", [], as: principal) {
            trendArea = list["areas"]?.arrayValue?.first { $0["level"]?.stringValue == "county" }?["code"]?.stringValue
        }
        var params: [(String, JSONValue)] = [("level", .string(level)), ("asOf", .string(today.description))]
        if let parent { params.append(("parent", .string(parent))) }
        var body = "<p>统计日期：\(today)</p>"
        if let trendArea {
            let from = today.adding(months: -12)
            if case let .success(trend) = await service.call("metrics.trend", [("area", .string(trendArea)), ("from", .string(from.description)),
                                                                              ("to", .string(today.description)), ("step", .string("month"))], as: principal) {
                let points = (trend["points"]?.arrayValue ?? []).map { ($0["date"]?.stringValue ?? "", $0["rate"]?.doubleValue) }
                body += "<section class=\"card\"><h2>出租屋登记率（近 12 个月）</h2>" + TrendChart.svg(points, title: "出租屋登记率月度趋势") + "</section>"
            }
        }
        if case let .success(rates) = await service.call("metrics.registrationRate", params, as: principal) {
            body += "<h2>出租屋登记率</h2><div class=\"table-wrap\"><table><thead><tr><th>区域</th><th class=\"num\">已知出租屋</th><th class=\"num\">已登记</th><th class=\"num\">登记率</th></tr></thead><tbody>"
            for row in rates["rows"]?.arrayValue ?? [] {
                body += "<tr><td>\(HTML.escape(row["name"]?.stringValue ?? ""))</td><td class=\"num\">\(row["known"]?.intValue ?? 0)</td><td class=\"num\">\(row["registered"]?.intValue ?? 0)</td><td class=\"num\">\(HTML.percent(row["rate"]?.doubleValue))</td></tr>"
            }
            body += "</tbody></table></div>"
        }
        var demographics = params
        demographics.append(("threshold", .double(0.5)))
        if case let .success(shares) = await service.call("analysis.demographics", demographics, as: principal) {
            body += "<h2>流动人口占比</h2><p><small>占比达到 50% 的区域标记为 <span class=\"flag\">⚑ 重点</span></small></p><div class=\"table-wrap\"><table><thead><tr><th>区域</th><th class=\"num\">常住人口</th><th class=\"num\">流动人口</th><th class=\"num\">占比</th><th>标记</th></tr></thead><tbody>"
            for row in shares["rows"]?.arrayValue ?? [] {
                let flagged = row["flagged"] == .bool(true)
                body += "<tr\(flagged ? " class=\"flagged\"" : "")><td>\(HTML.escape(row["name"]?.stringValue ?? ""))</td><td class=\"num\">\(row["residents"]?.intValue ?? 0)</td><td class=\"num\">\(row["migrants"]?.intValue ?? 0)</td><td class=\"num\">\(HTML.percent(row["migrantShare"]?.doubleValue))</td><td>\(flagged ? "<span class=\"flag\">⚑ 重点</span>" : "")</td></tr>"
            }
            body += "</tbody></table></div>"
        }
        return body
    }

    // MARK: - Units

    private func unitSearch(_ session: WebSession, text: String) async -> Response {
        var body = """
            <form method="get" action="/units" class="card"><label for="q">房屋编号或地址</label>
            <input id="q" name="q" value="\(HTML.escape(text))" autocomplete="off"><button type="submit">查找</button></form>
            """
        if !text.isEmpty {
            let found: [FindUnits.Item]
            do {
                let request = try FindUnits(text: text)
                found = try await service.registry.readGroup(as: session.principal) { group in
                    (try? group.perform(request).get().units) ?? []
                }
            } catch {
                found = []
            }
            if found.isEmpty {
                body += "<p>没有找到匹配的房屋。</p>"
            } else {
                body += "<div class=\"table-wrap\"><table><thead><tr><th>房屋编号</th><th>地址</th><th>类型</th><th>状态</th></tr></thead><tbody>"
                for unit in found {
                    body += "<tr><td><a href=\"/units/\(Self.pathComponent(unit.unitId))\">\(HTML.escape(unit.unitId))</a></td><td>\(HTML.escape(unit.address))</td><td>\(Self.kind(unit.kind))</td><td>\(Self.status(unit.status))</td></tr>"
                }
                body += "</tbody></table></div>"
            }
        }
        return HTML.response(HTML.page(title: "房屋", session: session, body: body))
    }

    private func unitPage(_ session: WebSession, unitId: String) async -> Response {
        switch await service.call("unit.get", [("unitId", .string(unitId))], as: session.principal) {
        case let .failure(error):
            let status: HTTPResponse.Status = error.category == .forbidden ? .forbidden : error.category == .notFound ? .notFound : .unprocessableContent
            return HTML.response(HTML.page(title: "房屋", session: session, body: "<p class=\"alert\" role=\"alert\">\(HTML.escape(FormMessages.message(error)))</p>"), status: status)
        case let .success(unit):
            var body = "<dl class=\"facts\">"
            for (label, key) in [("房屋编号", "unitId"), ("网格", "grid"), ("地址", "address"), ("发现日期", "discoveredOn"), ("登记日期", "registeredOn"), ("注销日期", "closedOn")] {
                body += "<dt>\(label)</dt><dd>\(HTML.escape(unit[key]?.stringValue ?? "—"))</dd>"
            }
            body += "<dt>类型</dt><dd>\(Self.kind(unit["kind"]?.stringValue ?? ""))</dd><dt>状态</dt><dd>\(Self.status(unit["status"]?.stringValue ?? ""))</dd></dl>"
            body += "<h2>现住人员</h2>"
            let residents = unit["residents"]?.arrayValue ?? []
            if residents.isEmpty {
                body += "<p>暂无住户。</p>"
            } else {
                body += "<div class=\"table-wrap\"><table><thead><tr><th>身份证号</th><th>姓名</th><th>入住日期</th></tr></thead><tbody>"
                for person in residents {
                    body += "<tr><td>\(HTML.escape(person["idNumber"]?.stringValue ?? ""))</td><td>\(HTML.escape(person["name"]?.stringValue ?? ""))</td><td>\(HTML.escape(person["movedIn"]?.stringValue ?? ""))</td></tr>"
                }
                body += "</tbody></table></div>"
            }
            if Authorization.permits(session.principal.role, "resident.register") {
                body += "<p><a class=\"button\" href=\"/residents/new?unitId=\(Self.queryValue(unitId))\">登记住户</a></p>"
            }
            return HTML.response(HTML.page(title: "房屋 \(unitId)", session: session, body: body))
        }
    }

    private func unitForm(_ session: WebSession, values: [String: String], error: RegistryError?) -> String {
        let at = FormMessages.formField(error?.field)
        func message(_ field: String) -> String? { at == field ? error.map(FormMessages.message) : nil }
        let general = error.flatMap { error in ["grid", "address", "kind", "discoveredOn", "registeredOn", "landlordName", "landlordIdNumber", "landlordPhone", "unitId"].contains(at ?? "") ? nil : FormMessages.message(error) }
        let kind = values["kind"] ?? "rental"
        return HTML.page(title: "登记房屋", session: session, body: """
            \(general.map { "<p class=\"alert\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/units/new" class="card" novalidate>\(HTML.csrf(session))
            \(HTML.field("grid", label: "网格代码", value: values["grid"], error: message("grid"), required: true, hint: "如 411525003001001"))
            \(HTML.field("address", label: "地址", value: values["address"], error: message("address"), required: true))
            <label for="kind">房屋类型</label><select id="kind" name="kind"><option value="rental"\(kind == "rental" ? " selected" : "")>出租屋</option><option value="owner"\(kind == "owner" ? " selected" : "")>自住房</option></select>
            \(message("kind").map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            \(HTML.field("unitId", label: "房屋编号（可不填）", value: values["unitId"], error: message("unitId")))
            \(HTML.field("discoveredOn", label: "发现日期", value: values["discoveredOn"], error: message("discoveredOn"), type: "date", required: true))
            \(HTML.field("registeredOn", label: "登记日期（已办理出租登记时）", value: values["registeredOn"], error: message("registeredOn"), type: "date"))
            \(HTML.field("landlordName", label: "房东姓名", value: values["landlordName"], error: message("landlordName")))
            \(HTML.field("landlordIdNumber", label: "房东身份证号", value: values["landlordIdNumber"], error: message("landlordIdNumber")))
            \(HTML.field("landlordPhone", label: "房东电话", value: values["landlordPhone"], error: message("landlordPhone"), type: "tel"))
            <button type="submit">保存</button></form>
            """)
    }

    private func addUnit(_ session: WebSession, _ form: FormData) async -> Response {
        var params: [(String, JSONValue)] = [
            ("grid", .string(form["grid"] ?? "")), ("address", .string(form["address"] ?? "")),
            ("kind", .string(form["kind"] ?? "rental")), ("discoveredOn", .string(form["discoveredOn"] ?? "")),
        ]
        if let unitId = form["unitId"] { params.append(("unitId", .string(unitId))) }
        if let registeredOn = form["registeredOn"] { params.append(("registeredOn", .string(registeredOn))) }
        if form["landlordName"] != nil || form["landlordIdNumber"] != nil || form["landlordPhone"] != nil {
            var landlord: [(String, JSONValue)] = [("name", .string(form["landlordName"] ?? "")), ("idNumber", .string(form["landlordIdNumber"] ?? ""))]
            if let phone = form["landlordPhone"] { landlord.append(("phone", .string(phone))) }
            params.append(("landlord", .object(landlord)))
        }
        switch await service.call("unit.add", params, as: session.principal) {
        case let .success(result):
            return SessionRoutes.redirect("/units/" + Self.pathComponent(result["unitId"]?.stringValue ?? ""))
        case let .failure(error):
            return HTML.response(unitForm(session, values: form.fields, error: error), status: Self.formStatus(error))
        }
    }

    // MARK: - Residents

    private func residentForm(_ session: WebSession, values: [String: String], error: RegistryError?, done: String?) -> String {
        let at = FormMessages.formField(error?.field)
        func message(_ field: String) -> String? { at == field ? error.map(FormMessages.message) : nil }
        let fields = ["idNumber", "name", "unitId", "movedIn", "phone", "hukouCode", "transfer"]
        let general = error.flatMap { fields.contains(at ?? "") ? nil : FormMessages.message($0) }
        return HTML.page(title: "登记住户", session: session, body: """
            \(done.map { "<p class=\"notice\" role=\"status\">\(HTML.escape($0))</p>" } ?? "")
            \(general.map { "<p class=\"alert\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/residents/new" class="card" novalidate>\(HTML.csrf(session))
            \(HTML.field("idNumber", label: "身份证号", value: values["idNumber"], error: message("idNumber"), required: true))
            \(HTML.field("name", label: "姓名", value: values["name"], error: message("name"), required: true))
            \(HTML.field("unitId", label: "房屋编号", value: values["unitId"], error: message("unitId"), required: true))
            \(HTML.field("movedIn", label: "入住日期", value: values["movedIn"], error: message("movedIn"), type: "date", required: true))
            \(HTML.field("phone", label: "电话", value: values["phone"], error: message("phone"), type: "tel"))
            \(HTML.field("hukouCode", label: "户籍地代码（不填则取身份证前 6 位）", value: values["hukouCode"], error: message("hukouCode")))
            <label><input type="checkbox" name="transfer" value="true"\(values["transfer"] == "true" ? " checked" : "")> 从原住址转移（同时办理原住址迁出）</label>
            <button type="submit">登记</button></form>
            """)
    }

    private func registerResident(_ session: WebSession, _ form: FormData) async -> Response {
        var params: [(String, JSONValue)] = [
            ("idNumber", .string(form["idNumber"] ?? "")), ("name", .string(form["name"] ?? "")),
            ("unitId", .string(form["unitId"] ?? "")), ("movedIn", .string(form["movedIn"] ?? "")),
        ]
        if let phone = form["phone"] { params.append(("phone", .string(phone))) }
        if let hukou = form["hukouCode"] { params.append(("hukouCode", .string(hukou))) }
        if form["transfer"] == "true" { params.append(("transfer", .bool(true))) }
        switch await service.call("resident.register", params, as: session.principal) {
        case let .success(result):
            let done = "已登记：\(result["idNumber"]?.stringValue ?? "") \(form["name"] ?? "") 入住 \(form["unitId"] ?? "")"
            return HTML.response(residentForm(session, values: ["unitId": form["unitId"] ?? ""], error: nil, done: done))
        case let .failure(error):
            return HTML.response(residentForm(session, values: form.fields, error: error, done: nil), status: Self.formStatus(error))
        }
    }

    private func lookupForm(_ session: WebSession, values: [String: String], error: RegistryError?, result: JSONValue?) -> String {
        let at = FormMessages.formField(error?.field)
        func message(_ field: String) -> String? { at == field ? error.map(FormMessages.message) : nil }
        var body = """
            <form method="post" action="/residents/lookup" class="card" novalidate>\(HTML.csrf(session))
            \(HTML.field("idNumber", label: "身份证号", value: nil, error: message("idNumber"), required: true))
            <label><input type="checkbox" name="reveal" value="true"> 显示完整号码和电话（将记入审计）</label>
            \(HTML.field("purpose", label: "用途（显示完整号码时必填）", value: values["purpose"], error: message("purpose")))
            <button type="submit">查询</button></form>
            """
        if let error, at != "idNumber", at != "purpose" {
            body = "<p class=\"alert\" role=\"alert\">\(HTML.escape(FormMessages.message(error)))</p>" + body
        }
        if let result {
            body += "<section class=\"card\"><dl class=\"facts\">"
            for (label, key) in [("身份证号", "idNumber"), ("姓名", "name"), ("出生日期", "birthDate"), ("户籍地代码", "hukouCode"), ("电话", "phone")] {
                body += "<dt>\(label)</dt><dd>\(HTML.escape(result[key]?.stringValue ?? "—"))</dd>"
            }
            body += "<dt>性别</dt><dd>\(result["sex"]?.stringValue == "male" ? "男" : "女")</dd><dt>流动人口</dt><dd>\(result["migrant"] == .bool(true) ? "是" : "否")</dd></dl>"
            body += "<h2>居住记录</h2><div class=\"table-wrap\"><table><thead><tr><th>房屋编号</th><th>入住</th><th>迁出</th></tr></thead><tbody>"
            for residence in result["residences"]?.arrayValue ?? [] {
                let unit = residence["unitId"]?.stringValue ?? ""
                body += "<tr><td><a href=\"/units/\(Self.pathComponent(unit))\">\(HTML.escape(unit))</a></td><td>\(HTML.escape(residence["movedIn"]?.stringValue ?? ""))</td><td>\(HTML.escape(residence["movedOut"]?.stringValue ?? "—"))</td></tr>"
            }
            body += "</tbody></table></div></section>"
        }
        return HTML.page(title: "查询人员", session: session, body: body)
    }

    private func lookup(_ session: WebSession, _ form: FormData) async -> Response {
        var params: [(String, JSONValue)] = [("idNumber", .string(form["idNumber"] ?? ""))]
        if form["reveal"] == "true" {
            params.append(("reveal", .bool(true)))
            if let purpose = form["purpose"] { params.append(("purpose", .string(purpose))) }
        }
        switch await service.call("resident.get", params, as: session.principal) {
        case let .success(person):
            return HTML.response(lookupForm(session, values: [:], error: nil, result: person))
        case let .failure(error):
            // The ID number is not kept in the form: it is not echoed back into the page.
            return HTML.response(lookupForm(session, values: ["purpose": form["purpose"] ?? ""], error: error, result: nil),
                                 status: error.category == .forbidden && error.reason != .purposeRequired ? .forbidden : Self.formStatus(error))
        }
    }

    // MARK: - Ledger and audit

    private func ledgerForm(_ session: WebSession, values: [String: String], error: RegistryError?) -> String {
        let at = FormMessages.formField(error?.field)
        func message(_ field: String) -> String? { at == field ? error.map(FormMessages.message) : nil }
        let format = values["format"] ?? "csv"
        return HTML.page(title: "台账导出", session: session, body: """
            \(error.flatMap { ["from", "to", "area", "purpose", "format"].contains(at ?? "") ? nil : FormMessages.message($0) }.map { "<p class=\"alert\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/ledger" class="card" novalidate>\(HTML.csrf(session))
            \(HTML.field("from", label: "起始日期", value: values["from"], error: message("from"), type: "date"))
            \(HTML.field("to", label: "截止日期", value: values["to"], error: message("to"), type: "date"))
            \(HTML.field("area", label: "区域代码（不填为全部可见区域）", value: values["area"], error: message("area")))
            <label for="format">格式</label><select id="format" name="format"><option value="csv"\(format == "csv" ? " selected" : "")>CSV</option><option value="xlsx"\(format == "xlsx" ? " selected" : "")>Excel (xlsx)</option></select>
            \(message("format").map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            <label><input type="checkbox" name="reveal" value="true"\(values["reveal"] == "true" ? " checked" : "")> 导出完整身份证号（将记入审计）</label>
            \(HTML.field("purpose", label: "用途（导出完整号码时必填）", value: values["purpose"], error: message("purpose")))
            <button type="submit">下载</button></form>
            """)
    }

    private func exportLedger(_ session: WebSession, _ form: FormData) -> Response {
        func refuse(_ error: RegistryError) -> Response {
            HTML.response(ledgerForm(session, values: form.fields, error: error), status: Self.formStatus(error))
        }
        let export: Export
        let xlsx = form["format"] == "xlsx"
        guard xlsx || (form["format"] ?? "csv") == "csv" else {
            return refuse(RegistryError.invalid("format", "must be csv or xlsx"))
        }
        let from: CivilDate?, to: CivilDate?
        do {
            export = try Export(format: xlsx ? .xlsx : .csv, reveal: form["reveal"] == "true", purpose: form["purpose"])
            from = try form["from"].map { text throws(RegistryError) in
                guard let date = CivilDate(text) else { throw RegistryError.invalid("from", "'\(text)' is not a real date", reason: .invalidDate) }
                return date
            }
            to = try form["to"].map { text throws(RegistryError) in
                guard let date = CivilDate(text) else { throw RegistryError.invalid("to", "'\(text)' is not a real date", reason: .invalidDate) }
                return date
            }
        } catch {
            return refuse(error)
        }
        let stream = ExportStream()
        let registry = service.registry, principal = session.principal, area = form["area"]
        let thread = Thread {
            _ = try? export.ledger(registry, area: area, from: from, to: to, after: nil, to: OutputSink(stream), as: principal)
        }
        thread.start()
        let name = "ledger-\(CivilDate.today().description.replacingOccurrences(of: "-", with: "")).\(xlsx ? "xlsx" : "csv")"
        return Response(status: .ok, headers: [.contentType: xlsx ? WorklistPages.xlsxType : "text/csv; charset=utf-8",
                                               .contentDisposition: "attachment; filename=\"\(name)\""],
                        body: ResponseBody { writer in
                            do {
                                while let block = await stream.next() {
                                    try await writer.write(ByteBuffer(bytes: block))
                                }
                                try await writer.finish(nil)
                            } catch {
                                stream.cancel()
                                throw error
                            }
                        })
    }

    private func auditPage(_ session: WebSession, after: Int64?) async -> Response {
        var params: [(String, JSONValue)] = [("limit", .int(100))]
        if let after { params.append(("after", .int(after))) }
        guard case let .success(page) = await service.call("audit.list", params, as: session.principal) else {
            return Self.forbidden(session)
        }
        var body = "<div class=\"table-wrap\"><table><thead><tr><th class=\"num\">序号</th><th>时间</th><th>经办人</th><th>操作</th><th>用途</th><th class=\"num\">记录数</th></tr></thead><tbody>"
        for entry in page["entries"]?.arrayValue ?? [] {
            body += "<tr><td class=\"num\">\(entry["seq"]?.intValue ?? 0)</td><td>\(HTML.escape(entry["at"]?.stringValue ?? ""))</td><td>\(HTML.escape(entry["operator"]?.stringValue ?? ""))</td><td>\(HTML.escape(entry["action"]?.stringValue ?? ""))</td><td>\(HTML.escape(entry["purpose"]?.stringValue ?? "—"))</td><td class=\"num\">\(entry["count"]?.intValue ?? 0)</td></tr>"
        }
        body += "</tbody></table></div>"
        if let next = page["next"]?.intValue { body += "<p><a class=\"button\" href=\"/audit?after=\(next)\">下一页</a></p>" }
        return HTML.response(HTML.page(title: "审计记录", session: session, body: body))
    }

    // MARK: - Helpers

    /// `422` for a refused form, `403` for a refusal of the role or the areas.
    static func formStatus(_ error: RegistryError) -> HTTPResponse.Status {
        error.reason == .roleForbids || error.reason == .outOfArea ? .forbidden : .unprocessableContent
    }

    static func kind(_ value: String) -> String { value == "owner" ? "自住房" : "出租屋" }

    static func status(_ value: String) -> String {
        switch value {
        case "unregistered": "未登记"
        case "registered": "已登记"
        case "closed": "已注销"
        case "owner": "自住"
        default: HTML.escape(value)
        }
    }

    /// A unit id as one path segment.
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? ""
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

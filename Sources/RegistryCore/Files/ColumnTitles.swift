/// The Chinese titles of the files' columns and the Chinese words for their coded values,
/// as spreadsheets show them: one table for the xlsx exports (which write them) and the
/// imports (which read a Chinese header as its English column).
///
/// ```swift
/// ColumnTitles.chinese["id_number"]   // "身份证号"
/// ColumnTitles.english["身份证号"]     // "id_number"
/// ColumnTitles.eventType["move_in"]   // "迁入"
/// ```
public enum ColumnTitles {
    /// Column name → Chinese title.
    public static let chinese: [String: String] = [
        "seq": "序号", "type": "事件", "date": "日期", "id_number": "身份证号", "name": "姓名", "sex": "性别",
        "birth_date": "出生日期", "hukou_code": "户籍地代码", "migrant": "流动人口", "unit_id": "房屋编号",
        "address": "地址", "grid": "网格", "community": "社区", "subdistrict": "街道", "operator": "经办人",
        "recorded_at": "录入时间", "moved_in": "入住日期",
        // Imports.
        "code": "代码", "level": "层级", "parent": "上级代码", "kind": "房屋类型", "landlord_name": "房东姓名",
        "landlord_id_number": "房东身份证号", "landlord_phone": "房东电话", "discovered_on": "发现日期",
        "registered_on": "登记日期", "phone": "电话", "moved_out": "迁出日期",
        // ledger.diff.
        "change": "变动", "from_unit_id": "原房屋编号",
    ]

    /// Chinese title → column name.
    public static let english: [String: String] = Dictionary(uniqueKeysWithValues: chinese.map { ($0.value, $0.key) })

    /// Ledger event types in Chinese.
    public static let eventType: [String: String] = [
        "unit_added": "新增房屋", "unit_registered": "房屋登记", "unit_closed": "房屋注销",
        "move_in": "迁入", "move_out": "迁出", "profile_updated": "信息变更",
    ]

    /// `ledger.diff`'s changes in Chinese.
    public static let change: [String: String] = ["arrived": "迁入", "left": "迁出", "moved": "变更住址"]

    /// Sex in Chinese.
    public static let sex: [String: String] = ["male": "男", "female": "女"]

    /// A yes/no column (`migrant`) in Chinese.
    public static func yesNo(_ value: Bool) -> String { value ? "是" : "否" }
}

import RegistryCore

/// The Chinese message shown beside a form's field for a refusal of the core: what is
/// wrong, in words a clerk understands, with the core's own message (which names the
/// rule) after it.
enum FormMessages {
    /// The form field a refusal's `field` names (`landlord.idNumber` → `landlordIdNumber`).
    static func formField(_ field: String?) -> String? {
        switch field {
        case "landlord.name": "landlordName"
        case "landlord.idNumber": "landlordIdNumber"
        case "landlord.phone": "landlordPhone"
        default: field
        }
    }

    static func message(_ error: RegistryError) -> String {
        let text: String = switch error.reason {
        case .invalidIdNumber: "身份证号码不正确"
        case .invalidDate: "日期不正确（格式 YYYY-MM-DD，且须是真实日期）"
        case .unknownUnit: "没有这个房屋编号"
        case .unknownArea: "没有这个网格或区域代码"
        case .unknownResident: "没有登记过这个人"
        case .duplicateUnit: "这个房屋编号已经存在"
        case .openResidence: "此人已在别处居住：请先办理迁出，或勾选“转移”"
        case .noOpenResidence: "此人目前没有居住登记"
        case .unitClosed: "这个房屋已注销"
        case .notARental: "只有出租屋需要登记"
        case .outOfArea: "不在您负责的区域内"
        case .roleForbids: "您的角色不能进行此操作"
        case .purposeRequired: "查看完整号码须填写用途"
        case .keyMissing: "系统缺少密钥文件，请联系管理员"
        default: "填写有误"
        }
        return "\(text)（\(error.message)）"
    }
}

/// Place names and origins for synthetic data: the subdistricts of Gushi County (固始县,
/// 411525), and the places its migrants come from.
///
/// The three subdistricts carry their statistical codes (蓼城街道 411525001, 番城街道
/// 411525002, 秀水街道 411525003); the towns' codes and all community and grid codes
/// are synthetic. Each place has a profile: how many of its people are migrants, and how
/// its rental registration rate moves over the generated 18 months (秀水街道 from about
/// 55% to about 92%, as its dynamic ledger did).
enum GushiGazetteer {
    struct Subdistrict {
        var code: String
        var name: String
        /// Share of the county's people who live here.
        var weight: Double
        /// Share of households whose hukou is outside the county.
        var migrantShare: Double
        /// Share of rental units registered before the window opens, and by its end.
        var rateAtStart: Double
        var rateAtEnd: Double
        /// Share of units that are rentals.
        var rentalShare: Double
        var communities: [String]
    }

    static let subdistricts: [Subdistrict] = [
        Subdistrict(code: "411525001", name: "蓼城街道", weight: 0.24, migrantShare: 0.34, rateAtStart: 0.70, rateAtEnd: 0.80, rentalShare: 0.55,
                    communities: ["蓼北社区", "城隍庙社区", "北关社区", "中山社区", "大桥社区", "王审知社区", "红苏社区", "新华社区", "钓鱼台社区", "安阳山社区", "谷堆社区", "胜利社区"]),
        Subdistrict(code: "411525002", name: "番城街道", weight: 0.18, migrantShare: 0.22, rateAtStart: 0.62, rateAtEnd: 0.71, rentalShare: 0.45,
                    communities: ["西关社区", "东关社区", "南关社区", "团结社区", "八里棚社区", "九里社区", "黄岗社区", "花园社区", "十里棚社区", "幸福社区", "顺河社区", "清河社区"]),
        Subdistrict(code: "411525003", name: "秀水街道", weight: 0.34, migrantShare: 0.87, rateAtStart: 0.55, rateAtEnd: 0.95, rentalShare: 0.75,
                    communities: ["日出东方社区", "秀水社区", "状元社区", "桂花社区", "龙湖社区", "玉兰社区", "金港社区", "碧水社区", "翠竹社区", "春晖社区", "书香社区", "锦绣社区"]),
        Subdistrict(code: "411525101", name: "陈淋子镇", weight: 0.12, migrantShare: 0.08, rateAtStart: 0.35, rateAtEnd: 0.45, rentalShare: 0.25,
                    communities: ["陈淋子社区", "余店村", "祝棚村", "湖滨村", "西河村", "张大庙村", "杨楼村", "柳树村", "何营村", "杨桥村", "周集村", "新店村"]),
        Subdistrict(code: "411525102", name: "黎集镇", weight: 0.12, migrantShare: 0.06, rateAtStart: 0.30, rateAtEnd: 0.38, rentalShare: 0.20,
                    communities: ["黎集社区", "大埠口村", "黎集村", "双河村", "徐营村", "蓼西村", "王大庙村", "马堰村", "冯岗村", "刘堰村", "枣林村", "宋营村"]),
    ]

    /// Counties outside Gushi that migrants' hukou comes from, by province: mostly Henan,
    /// then the neighbouring Anhui and Hubei, then farther away.
    static let origins: [(String, Double)] = [
        ("411524", 9), ("411526", 8), ("411527", 7), ("411528", 6), ("411522", 6), ("411521", 5), ("411523", 3),
        ("411503", 4), ("411502", 3), ("412702", 3), ("411723", 2), ("411302", 2), ("410102", 2),
        ("341522", 8), ("341524", 5), ("341523", 3), ("341502", 3), ("341203", 3), ("340104", 2),
        ("421121", 3), ("420116", 2), ("421182", 2),
        ("320106", 1), ("330102", 1), ("510117", 1), ("360102", 1), ("430102", 1), ("450102", 1), ("440304", 1), ("370102", 0.5),
    ]

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤").map(String.init)
    static let maleGiven = Array("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文博海峰亮成").map(String.init)
    static let femaleGiven = Array("芳娜敏静丽艳娟霞秀英华慧巧美娅玲桂丹萍红玉兰琴云莲洁梅琳素雪倩婷颖露瑶怡佳欣悦").map(String.init)
    static let streets = ["秀水路", "蓼城大道", "中原路", "红苏大道", "陈淋大道", "王审知大道", "番国路", "春申路", "信合路", "民主路", "北京路", "安阳山路"]
}

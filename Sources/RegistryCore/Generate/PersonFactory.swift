/// Makes synthetic people with valid, distinct ID numbers.
///
/// Distinctness without remembering anyone: ID numbers are drawn from counters kept per
/// (division code, birth year, sex). The n-th person of a counter gets a birth day and a
/// 3-digit sequence number that no other n of the same counter gets, so the memory kept is
/// one counter per division code and year, whatever the number of people.
struct PersonFactory {
    struct Person {
        var idNumber: String
        var name: String
        var hasPhone: Bool
    }

    private var counters: [String: Int] = [:]

    /// A person of `age` whole years on `on` (roughly), registered in `hukou`.
    mutating func person(hukou: String, age: Int, male: Bool, on date: CivilDate, rng: inout SplitMix64,
                         surname: String? = nil) -> Person {
        let surname = surname ?? rng.element(GushiGazetteer.surnames)
        let given = male ? GushiGazetteer.maleGiven : GushiGazetteer.femaleGiven
        let name = surname + rng.element(given) + (rng.chance(0.6) ? rng.element(given) : "")
        return Person(idNumber: idNumber(prefix: String(hukou.prefix(6)), birthYear: date.year - 1 - age, male: male),
                      name: name, hasPhone: rng.chance(0.85))
    }

    /// The members of a household: a head, often a spouse, then children or a grandparent.
    mutating func household(size: Int, hukou: String, movedIn: CivilDate, rng: inout SplitMix64) -> [Person] {
        let headMale = rng.chance(0.65)
        let headAge = 22 + rng.below(40)
        let surname = rng.element(GushiGazetteer.surnames)
        var members = [person(hukou: hukou, age: headAge, male: headMale, on: movedIn, rng: &rng, surname: surname)]
        if size >= 2 {
            members.append(person(hukou: hukou, age: max(20, headAge - 3 + rng.below(7)), male: !headMale, on: movedIn, rng: &rng))
        }
        while members.count < size {
            if members.count == 4 || (members.count >= 2 && rng.chance(0.2)) {
                members.append(person(hukou: hukou, age: min(90, headAge + 25 + rng.below(10)), male: rng.chance(0.45), on: movedIn, rng: &rng))
            } else {
                let childAge = rng.below(max(1, min(20, headAge - 19)))
                members.append(person(hukou: hukou, age: childAge, male: rng.chance(0.52), on: movedIn, rng: &rng,
                                      surname: headMale ? surname : nil))
            }
        }
        return members
    }

    /// A mobile number.
    func phone(rng: inout SplitMix64) -> String {
        let prefixes = ["138", "139", "150", "151", "152", "158", "159", "176", "177", "181", "185", "186", "187", "188", "199"]
        var digits = rng.element(prefixes)
        for _ in 0..<8 { digits += String(rng.below(10)) }
        return digits
    }

    /// The next free ID number for a division code, birth year and sex.
    private mutating func idNumber(prefix: String, birthYear: Int, male: Bool) -> String {
        var year = birthYear
        while true {
            let key = "\(prefix)\(year)\(male ? 1 : 0)"
            let n = counters[key, default: 0]
            let days = CivilDate.isLeap(year) ? 366 : 365
            if n < days * 500 {
                counters[key] = n + 1
                // A stride coprime to the year's length visits every day once; the key's own
                // offset keeps the first people of every key from sharing a birthday.
                let offset = Int(key.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 } % 366)
                let day = (n &* 7919 &+ offset) % days
                let birth = CivilDate(year: year, month: 1, day: 1)!.adding(days: day)
                let sequence = (n / days) * 2 + (male ? 1 : 0)
                let body = prefix + String(birth.description.filter { $0 != "-" })
                    + String(repeating: "0", count: 3 - String(sequence).count) + String(sequence)
                return body + String(IDNumber.checkCharacter(for: body))
            }
            year -= 1
        }
    }
}

// libFuzzer entry point: the ID-number parser. Any text must be accepted or refused with a
// RegistryError; an accepted number must be 18 characters whose check character is right,
// and must parse again to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDNumber(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let today = CivilDate(year: 2026, month: 11, day: 29)!
    if let id = try? IDNumber(text, today: today) {
        precondition(id.value.utf8.count == 18)
        precondition(IDNumber.checkCharacter(for: id.value.prefix(17)) == id.value.last)
        precondition((try? IDNumber(id.value, today: today))?.value == id.value)
        precondition(id.birthDate <= today)
    }
    return 0
}

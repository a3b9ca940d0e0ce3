import GRDB

/// The unit the transaction's last registration moved someone into, kept for the next
/// registration into the same unit: people of one unit usually come together (a family at
/// the counter, a landlord's tenants, a file's rows unit by unit — 62% of the registrations
/// `registry-bench rpc` sends name the unit of the one before), and finding a unit and
/// building its record is about a tenth of a registration's writing.
///
/// Registrations never change a unit, refused or not. Every other request may (closing it,
/// registering it as a rental), so ``Registry/Group`` forgets the memo before running
/// anything but a registration; a group run again from its start begins with a new one.
/// What it holds was read in this transaction, after the last request that could change it.
final class UnitMemo {
    private var unit: UnitRecord?

    /// The unit `unitId`, from the memo when the last registration found it, else from the
    /// database (``UnitRecord/require(_:unitId:field:)``: `unknown_unit` when there is none).
    func require(_ unitId: String, _ db: Database) throws -> UnitRecord {
        if let unit, unit.unitId == unitId { return unit }
        let found = try UnitRecord.require(db, unitId: unitId)
        unit = found
        return found
    }

    func forget() {
        unit = nil
    }
}

import ArgumentParser
import Foundation
import RegistryCore

/// `registry user …`: the web service's accounts. The command line itself acts as the
/// local administrator (whoever holds the database and its key file).
struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Accounts of the web service: add, list, disable, enable, set a password.",
        subcommands: [UserAddCommand.self, UserListCommand.self, UserDisableCommand.self, UserEnableCommand.self, UserPasswordCommand.self])
}

/// Reads a password from the first line of standard input.
func passwordFromStandardInput() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw ValidationError("the password is read from standard input (its first line), and none was given")
    }
    return line
}

extension Role: ExpressibleByArgument {}

/// `registry user add`: a new account; the password is the first line of standard input.
struct UserAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add an account (the password is read from standard input: at least 10 characters, not the username).")
    @Option(help: "3 to 32 characters of a-z 0-9 . _ -") var username: String
    @Option(help: "admin, clerk, liaison or viewer.") var role: Role
    @Option(help: "An area the account acts in (any level; repeat for several; none: the whole county).") var area: [String] = []
    @Option(help: "The name shown on pages.") var displayName: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let password = try passwordFromStandardInput()
        let registry = try database.open()
        let info = try refusals { () throws(RegistryError) in
            try registry.addUser(username: username, role: role, areas: area, displayName: displayName, password: password,
                                 operator: database.operatorName)
        }
        emit(output.json ? JSONWriter.string(info.json) : ResultText.render(info.json))
    }
}

/// `registry user list`.
struct UserListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let users = try refusals { () throws(RegistryError) in try registry.listUsers() }
        let result = JSONValue.object([("users", .array(users.map(\.json)))])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// `registry user disable`: its sessions and tokens stop working at once.
struct UserDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable an account (its sessions and tokens stop at once).")
    @Option(help: "The account.") var username: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let registry = try database.open()
        try refusals { () throws(RegistryError) in try registry.setDisabled(username: username, true, operator: database.operatorName) }
        emit("username: \(username)\ndisabled: yes")
    }
}

/// `registry user enable`.
struct UserEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled account.")
    @Option(help: "The account.") var username: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let registry = try database.open()
        try refusals { () throws(RegistryError) in try registry.setDisabled(username: username, false, operator: database.operatorName) }
        emit("username: \(username)\ndisabled: no")
    }
}

/// `registry user password`: a new password from standard input.
struct UserPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "password", abstract: "Set an account's password (read from standard input); its sessions end.")
    @Option(help: "The account.") var username: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let password = try passwordFromStandardInput()
        let registry = try database.open()
        try refusals { () throws(RegistryError) in try registry.setPassword(username: username, password: password, operator: database.operatorName) }
        emit("username: \(username)\npassword: changed")
    }
}

/// `registry token …`: API tokens for scripts calling `POST /rpc`.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens of the web service: create, list, revoke.",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

/// `registry token create`: prints the token once (only its hash is stored).
struct TokenCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an API token (shown once; only its hash is stored).")
    @Option(help: "The account the token acts for.") var username: String
    @Option(help: "What the token is for.") var label: String?
    @Option(help: "Days until it expires (default: until revoked).") var expiresDays: Int?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let created = try refusals { () throws(RegistryError) in
            try registry.createToken(username: username, label: label, expiresDays: expiresDays, operator: database.operatorName)
        }
        let result = JSONValue.object([("token", .string(created.token)), ("tokenId", .int(created.tokenId))])
        emit(output.json ? JSONWriter.string(result) : "token: \(created.token)\ntokenId: \(created.tokenId)")
    }
}

/// `registry token list`.
struct TokenListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the API tokens (never the tokens themselves).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let tokens = try refusals { () throws(RegistryError) in try registry.listTokens() }
        let result = JSONValue.object([("tokens", .array(tokens.map(\.json)))])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// `registry token revoke`.
struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API token at once.")
    @Option(help: "The token's id (from token create or token list).") var tokenId: Int64
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let registry = try database.open()
        try refusals { () throws(RegistryError) in try registry.revokeToken(id: tokenId, operator: database.operatorName) }
        emit("tokenId: \(tokenId)\nrevoked: yes")
    }
}

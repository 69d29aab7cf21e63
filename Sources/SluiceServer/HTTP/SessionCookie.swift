import Crypto
import Foundation
import HTTPTypes

/// The web console's session: an API token kept in an HttpOnly cookie instead of a header. A
/// cookie goes with every request the browser makes, forged ones included, so state-changing
/// requests authenticated by it must also carry the CSRF token, which only a page of ours that
/// was told it at sign-in (or by `GET /api/v1/session`) can know.
enum SessionCookie {
    static let name = "sluice_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    /// The token name of sessions: only these pass as a cookie, so a CLI token pasted into a
    /// cookie jar does not become a session without an expiry.
    static let tokenName = "console-session"
    /// Sessions end after this whatever happens; the cookie's Max-Age says the same.
    static let lifetimeSeconds: Int64 = 12 * 3600

    /// The CSRF token of a session: HMAC of a fixed label keyed by the session secret, so it needs
    /// no storage and dies with the session.
    static func csrfToken(secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("sluice-csrf-v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.withUnsafeBytes { Array($0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// The session secret from the Cookie headers, if any.
    static func secret(_ request: HTTPRequest) -> String? {
        for header in request.headerFields[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty, value.count <= 256 { return value }
            }
        }
        return nil
    }

    /// Whether the method changes state (and so needs the CSRF token with a cookie).
    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// Refuses a cookie-authenticated state change without the session's CSRF token.
    static func checkCSRF(_ request: HTTPRequest, secret: String) throws {
        guard isStateChanging(request.method) else { return }
        guard let sent = request.headerFields[csrfHeader], !sent.isEmpty else {
            throw APIError.forbidden("missing X-CSRF-Token header: requests made with the session cookie must carry the CSRF token given at sign-in")
        }
        guard Secrets.equal(Array(sent.utf8), Array(csrfToken(secret: secret).utf8)) else {
            throw APIError.forbidden("wrong X-CSRF-Token for this session; reload the console")
        }
    }

    /// `Set-Cookie` for a new session. Secure when the server speaks TLS (a browser would not send
    /// a Secure cookie back over plain HTTP); SameSite=Strict keeps it off cross-site requests.
    static func setCookie(secret: String, secure: Bool) -> String {
        "\(name)=\(secret); Path=/; Max-Age=\(lifetimeSeconds); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that removes the session cookie.
    static func clearCookie(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }
}

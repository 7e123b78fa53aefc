// The SDK's HTTP over URLSession, so that the system proxy, App Transport Security, certificate
// pinning in the session delegate and the app's session configuration apply to Gridline's
// requests too.

import Foundation
import GridlineFFI

/// An `HttpTransport` over `URLSession`. The SDK calls it on a background thread and waits for
/// the answer, so `send` blocks on a semaphore; it must never be called on the main thread
/// (the SDK never does). Redirects are refused: an API answer is never a redirect, and
/// following one could carry the token elsewhere.
public final class URLSessionTransport: NSObject, HttpTransport, URLSessionTaskDelegate, @unchecked Sendable {
    private var session: URLSession!

    /// A transport over a session made from `configuration` (time limits are its own).
    public init(configuration: URLSessionConfiguration = .default) {
        super.init()
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    public func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw TransportError.Unreachable(detail: "not a URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for header in request.headers {
            urlRequest.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            urlRequest.httpBody = request.body
        }
        let done = DispatchSemaphore(value: 0)
        var result: Result<HttpResponse, TransportError> = .failure(.Interrupted(detail: "no answer"))
        let task = session.dataTask(with: urlRequest) { data, response, error in
            defer { done.signal() }
            if let error = error as? URLError {
                result = .failure(Self.classify(error))
                return
            }
            guard let http = response as? HTTPURLResponse else {
                result = .failure(.Interrupted(detail: error.map { String(describing: type(of: $0)) } ?? "not HTTP"))
                return
            }
            let headers = http.allHeaderFields.compactMap { name, value -> HttpHeader? in
                guard let name = name as? String else { return nil }
                return HttpHeader(name: name, value: String(describing: value))
            }
            result = .success(HttpResponse(status: UInt16(http.statusCode), headers: headers, body: data ?? Data()))
        }
        task.resume()
        done.wait()
        return try result.get()
    }

    /// Sort a URLSession failure into the SDK's three kinds.
    private static func classify(_ error: URLError) -> TransportError {
        let detail = "URLError \(error.code.rawValue)"
        switch error.code {
        case .timedOut:
            return .Timeout(detail: detail)
        case .networkConnectionLost:
            return .Interrupted(detail: detail)
        case .notConnectedToInternet, .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed,
             .secureConnectionFailed, .serverCertificateUntrusted, .internationalRoamingOff,
             .dataNotAllowed:
            return .Unreachable(detail: detail)
        default:
            return .Interrupted(detail: detail)
        }
    }
}

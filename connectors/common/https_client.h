#pragma once
// One HTTPS connection to one destination, kept alive between requests. TLS verification is
// always on against a configured CA bundle (and the host name); an optional client certificate
// gives mutual TLS. Transport failures come back as a result, never as an exception.
//
// The timeout is a hard limit on the whole exchange: connecting, the TLS handshake, sending the
// request and reading the whole answer together never take longer than timeoutMs (or the
// request's own deadline, when that comes first). A destination that accepts the connection and
// never answers, or answers a byte at a time, is cut off at the deadline.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace markbridge {

struct TlsSettings {
  std::string ca_file;         // PEM bundle that signs the destination's certificate
  std::string client_cert;     // PEM, for mutual TLS (optional)
  std::string client_key;      // PEM (optional)
  std::string key_passphrase;  // when the client key is encrypted (never logged)
  // How long the TLS session of a whole handshake is offered again, and a kept-alive connection
  // sent on, before a new connection and a whole handshake check the destination's certificate
  // (and ours) again. Not in the configuration: an hour; tests shorten it.
  std::chrono::milliseconds resume_for = std::chrono::minutes(60);
};

// Why a TLS connection failed, decided from what OpenSSL reported (the certificate
// verification error, the alert the server sent) and Poco's exception type, never from the
// text of a message.
enum class TlsFailure {
  None,
  CertificateNotTrusted,     // the server's certificate does not chain to ca_file
  HostnameMismatch,          // it chains, but does not name the host in base_url
  CertificateExpired,        // the server's certificate has expired (or is not yet valid)
  ClientCertificateRefused,  // the server refused ours: missing, expired, untrusted, revoked
  HandshakeFailure,          // anything else in the handshake (not TLS, reset, no common cipher)
};
// True for the failures a retry cannot mend: a person must fix a certificate or ca_file.
bool refusesUs(TlsFailure failure);
// What the failure means and what to check, in words an IT technician can act on.
std::string describe(TlsFailure failure);

struct HttpRequest {
  std::string method = "POST";
  std::string path;
  std::map<std::string, std::string> headers;
  std::string body;
  // When set, the exchange ends here even if the client's timeout would allow longer (one
  // delivery attempt that makes several requests shares one deadline).
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct HttpResponse {
  int status = 0;  // 0 when no response arrived
  std::string body;
  std::map<std::string, std::string> headers;
  std::string transport_error;  // set when status is 0
  // Status 0: the destination (or its token endpoint) refused who we are before any request:
  // our credentials or client certificate, or its certificate failed verification.
  bool refused_us = false;
  bool timed_out = false;                     // status 0 because the deadline passed
  TlsFailure tls_failure = TlsFailure::None;  // status 0 because of TLS: which failure
  // Retry-After (RFC 9110 10.2.3), as delay-seconds ("120") or an HTTP date ("Sun, 06 Nov 1994
  // 08:49:37 GMT"; the obsolete RFC 850 and asctime forms too): how long from `now` the server
  // asked us to wait (0 for a date already past); nothing when absent or unreadable.
  std::optional<int64_t> retryAfterMs(
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
  // The same in whole seconds, rounded up (never earlier than the server asked).
  std::optional<int64_t> retryAfterSeconds(
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
};

// The TLS side of the connections to one destination, made once: the CA bundle read, the client
// certificate loaded, verification set. The connections a sink keeps (one per request in flight)
// share it, so each new one costs its handshake and no more, and resumes the TLS session the
// destination gave an earlier one (no certificates sent again). Throws what loading them throws.
class TlsContext {
 public:
  explicit TlsContext(const TlsSettings& tls);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class HttpsClient {
 public:
  // Throws std::invalid_argument for a base URL that is not https://host[:port][/prefix].
  HttpsClient(const std::string& baseUrl, const TlsSettings& tls, int timeoutMs);
  HttpsClient(const std::string& baseUrl, std::shared_ptr<const TlsContext> tls, int timeoutMs);
  ~HttpsClient();
  HttpResponse send(const HttpRequest& request);
  int timeoutMs() const;
  // Closes the kept-alive connection, if there is one (the next send makes a new one).
  void close();
  // True while it holds a connection it may send on again.
  bool holdsConnection() const;
  // When its last exchange ended (or it was made).
  std::chrono::steady_clock::time_point lastUsed() const;
  // An absolute URL on this destination (a "next page" link) as a path for send(); nothing when
  // it points at another host, port or scheme (never follow a link off the configured API).
  std::optional<std::string> pathOf(const std::string& url) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A kept-alive connection idle this long is not sent on again but made anew: servers close idle
// connections (node after 5 s, nginx after 75 s), and sending on one just closed would fail.
inline constexpr std::chrono::seconds kKeepIdleConnectionFor{4};

// Once per process, before any TLS.
void initialiseTls();

// The TLS key exchange groups Markbridge offers and accepts: OpenSSL's default, in its order
// (X25519 first, as nginx, curl and browsers have it). Poco's default puts X448 first, whose
// generic code cost about a millisecond on each side of every connection.
inline constexpr const char* kKeyExchangeGroups = "X25519:P-256:X448:P-521:P-384";

// A client certificate refused by a TLS-terminating proxy in front of the destination, which
// finished the handshake and then answered with an error page instead of refusing the handshake:
// nginx's `ssl_verify_client on` answers 400 "No required SSL certificate was sent" or "The SSL
// certificate error" (and, where error_page passes them on, 495 or 496). What the page says, in
// one line, or nothing when the answer is something else.
std::optional<std::string> clientCertificateRefusal(int status, const std::string& body);

// What a server said in an error answer, as one short line for a log or a dead letter: the
// error fields of a JSON body, the title of an HTML page, otherwise the start of the text; never
// a line break or control character.
std::string answerExcerpt(const std::string& body);

}  // namespace markbridge

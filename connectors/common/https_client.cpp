#include "connectors/common/https_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <locale>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace markbridge {

void initialiseTls() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    // A certificate that fails verification is refused, never waved through by a prompt.
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false),
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, ""));
  });
}

namespace {

// An HTTP date in any of the three forms RFC 9110 5.6.7 says a recipient accepts, read whole.
std::optional<std::chrono::system_clock::time_point> httpDate(const std::string& text) {
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    in >> std::get_time(&tm, format);
    if (in.fail()) continue;
    in >> std::ws;
    if (!in.eof()) continue;
    auto seconds = timegm(&tm);
    if (seconds == -1) continue;
    return std::chrono::system_clock::from_time_t(seconds);
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> HttpResponse::retryAfterMs(std::chrono::system_clock::time_point now) const {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  const auto& v = it->second;
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec == std::errc() && ptr == v.data() + v.size() && seconds >= 0)
    return std::min<int64_t>(seconds, int64_t{1} << 31) * 1000;  // a far-off ask stays far off
  auto date = httpDate(v);
  if (!date) return std::nullopt;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now).count();
  return std::max<int64_t>(wait, 0);
}

std::optional<int64_t> HttpResponse::retryAfterSeconds(
    std::chrono::system_clock::time_point now) const {
  auto ms = retryAfterMs(now);
  if (!ms) return std::nullopt;
  return (*ms + 999) / 1000;
}

namespace {

std::string openSslError() {
  char text[256] = "";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  ERR_clear_error();
  return text;
}

int passphraseCallback(char* buffer, int size, int, void* userdata) {
  const auto* passphrase = static_cast<const std::string*>(userdata);
  int n = std::min(size, static_cast<int>(passphrase->size()));
  std::memcpy(buffer, passphrase->data(), static_cast<std::size_t>(n));
  return n;
}

// The client certificate (with its chain) and key for mutual TLS, the key decrypted with the
// passphrase if it has one. Throws std::runtime_error naming the file that would not load.
void useClientCertificate(SSL_CTX* ctx, const TlsSettings& tls) {
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.client_cert.c_str()) != 1)
    throw std::runtime_error("client certificate " + tls.client_cert + ": " + openSslError());
  // Read (and decrypt) the key here rather than through the context's password callback.
  BIO* file = BIO_new_file(tls.client_key.c_str(), "r");
  if (!file) throw std::runtime_error("client key " + tls.client_key + ": cannot read");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(file, nullptr, passphraseCallback,
                                          const_cast<std::string*>(&tls.key_passphrase));
  BIO_free(file);
  if (!key)
    throw std::runtime_error("client key " + tls.client_key +
                             " (wrong passphrase?): " + openSslError());
  int loaded = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (loaded != 1) throw std::runtime_error("client key " + tls.client_key + ": " + openSslError());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error("client key " + tls.client_key + " does not match certificate " +
                             tls.client_cert);
}

using SteadyClock = std::chrono::steady_clock;

// True when an idle connection has something to read: the destination's close (an end of file,
// a reset, TLS's close_notify) or anything else it should not have sent between answers. Either
// way the connection is not sent on again.
bool closedWhileIdle(int fd) {
  pollfd idle{fd, POLLIN, 0};
  return ::poll(&idle, 1, 0) != 0;
}

// Ends an exchange that outlives its deadline by shutting its socket down from another thread,
// so a read or write blocked in Poco or OpenSSL returns at once. Poco's own timeouts apply to
// each read and write, not to the exchange: a handshake or an answer that arrives a little at a
// time would otherwise run on.
class Watchdog {
 public:
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      closeSocket();
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // The thread is woken only when it would otherwise sleep past the new deadline: from one
  // request to the next on a connection (each deadline later than the last) it sleeps on until
  // the first one and then waits again, instead of waking twice a request.
  void arm(SteadyClock::time_point until) {
    std::lock_guard lock(mutex_);
    until_ = until;
    armed_ = true;
    fired_ = false;
    if (!thread_.joinable()) thread_ = std::thread([this] { watch(); });
    if (until < sleepsUntil_) wake_.notify_all();
  }
  // The socket to end at the deadline. A duplicate of its descriptor is kept, so the socket
  // cannot be closed (and its number reused) under the watchdog.
  void guard(int fd) {
    std::lock_guard lock(mutex_);
    closeSocket();
    socket_ = ::dup(fd);
    if (armed_ && SteadyClock::now() >= until_) fire();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
    closeSocket();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }
  // Milliseconds left before the deadline (0 when it has passed).
  int64_t remainingMs() {
    std::lock_guard lock(mutex_);
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until_ - SteadyClock::now()).count();
    return std::max<int64_t>(left, 0);
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (armed_ && SteadyClock::now() >= until_) {
        fire();
        armed_ = false;
        continue;
      }
      sleepsUntil_ = armed_ ? until_ : SteadyClock::time_point::max();
      if (armed_)
        wake_.wait_until(lock, sleepsUntil_);
      else
        wake_.wait(lock);
      sleepsUntil_ = SteadyClock::time_point::min();  // awake: it sees every change
    }
  }
  void fire() {  // with mutex_ held
    fired_ = true;
    if (socket_ >= 0) ::shutdown(socket_, SHUT_RDWR);
  }
  void closeSocket() {  // with mutex_ held
    if (socket_ >= 0) ::close(socket_);
    socket_ = -1;
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  SteadyClock::time_point until_{};
  // Until when the thread sleeps if not woken (min: it is awake; max: until woken).
  SteadyClock::time_point sleepsUntil_ = SteadyClock::time_point::min();
  bool armed_ = false, fired_ = false, stop_ = false;
  int socket_ = -1;
};

}  // namespace

// The Poco context, and the last resumable TLS session each destination (host:port) gave: a new
// connection offers it, and a destination that accepts it skips the certificate exchange and
// its signature (most of a handshake's cost, on both sides). A session is offered for at most
// resume_for (TlsSettings::resume_for, an hour) after the whole handshake it came from (a resumed
// connection's new ticket does not extend it), so the destination's certificate, and ours, are
// checked again at least that often: a certificate replaced, expired or revoked is seen within the
// hour.
struct TlsContext::Impl {
  std::chrono::milliseconds resume_for{std::chrono::minutes(60)};
  Poco::Net::Context::Ptr context;

  Poco::Net::Session::Ptr sessionFor(const std::string& peer) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(peer);
    if (it == sessions_.end()) return nullptr;
    if (SteadyClock::now() - it->second.verified >= resume_for) {
      sessions_.erase(it);
      return nullptr;
    }
    return it->second.session;
  }
  // Keeps `session` for `peer` when it can be resumed. `resumed`: it came from a connection
  // that resumed an earlier one, whose whole handshake's time it keeps (none kept: dropped).
  void keep(const std::string& peer, Poco::Net::Session::Ptr session, bool resumed) const {
    if (!session || SSL_SESSION_is_resumable(session->sslSession()) != 1) return;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(peer);
    if (!resumed)
      sessions_[peer] = Kept{std::move(session), SteadyClock::now()};
    else if (it != sessions_.end())
      it->second.session = std::move(session);
  }
  // After a TLS failure or a refusal of our certificate: the next connection to `peer` makes a
  // whole handshake.
  void forget(const std::string& peer) const {
    std::lock_guard lock(mutex_);
    sessions_.erase(peer);
  }

 private:
  struct Kept {
    Poco::Net::Session::Ptr session;
    SteadyClock::time_point verified;  // the whole handshake it comes from
  };
  mutable std::mutex mutex_;
  mutable std::map<std::string, Kept> sessions_;
};

namespace {

// An HTTPS session whose connection is made within the watchdog's deadline and then guarded by
// it through the handshake and every request on it. A new connection resumes the TLS session
// the destination gave an earlier one (TlsContext), when there is one.
class GuardedSession : public Poco::Net::HTTPSClientSession {
 public:
  GuardedSession(const std::string& host, uint16_t port, const std::string& peer,
                 const TlsContext::Impl& tls, Watchdog& watchdog, int timeoutMs)
      : HTTPSClientSession(host, port, tls.context),
        tls_(tls),
        peer_(peer),
        watchdog_(watchdog),
        timeout_(static_cast<long>(timeoutMs) * 1000) {
    setTimeout(timeout_);
  }

  // After an answer on a connection this session made: the TLS session the destination gave
  // it, kept for the next connection (TLS 1.3 sends its ticket after the handshake, so it is
  // read once an answer has come); forgotten when the answer refused our certificate (a proxy
  // that finished the handshake and answered 400: its ticket would carry the refusal). Never
  // throws: the answer is had whatever becomes of the session.
  void keepTlsSession(bool refusedUs) noexcept {
    if (!madeConnection_) return;
    madeConnection_ = false;
    try {
      if (refusedUs) {
        tls_.forget(peer_);
        return;
      }
      Poco::Net::SecureStreamSocket secure(socket());
      tls_.keep(peer_, secure.currentSession(), secure.sessionWasReused());
    } catch (...) {
      tls_.forget(peer_);
    }
  }

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    int64_t left = watchdog_.remainingMs();
    if (left <= 0) throw Poco::TimeoutException("deadline passed before connecting");
    Poco::Net::StreamSocket tcp;
    tcp.connect(address, Poco::Timespan(static_cast<long>(left) * 1000));
    watchdog_.guard(tcp.impl()->sockfd());
    tcp.setReceiveTimeout(timeout_);
    tcp.setSendTimeout(timeout_);
    tcp.setNoDelay(true);
    // The handshake, with the host name checked against the server's certificate. A handshake
    // that fails while offering a kept session (a server or middlebox that cuts such a one off)
    // offers none next time.
    auto offered = tls_.sessionFor(peer_);
    try {
      attachSocket(Poco::Net::SecureStreamSocket::attach(tcp, getHost(), tls_.context, offered));
    } catch (...) {
      if (offered) tls_.forget(peer_);
      throw;
    }
    madeConnection_ = true;
    connectedAt_ = SteadyClock::now();
  }

 public:
  // When its connection made the handshake it is on (Poco may connect again inside a session).
  SteadyClock::time_point connectedAt() const { return connectedAt_; }
  // True when bytes beyond the answer just read are waiting, in Poco's buffer or OpenSSL's: an
  // answer not read as one (an interim 1xx, a body longer than it said), which the next request
  // on this connection would take for its own.
  // In doubt (the socket cannot say), it is dropped too.
  bool leftover() noexcept {
    try {
      return buffered() > 0 || (connected() && socket().available() > 0);
    } catch (...) {
      return true;
    }
  }

 private:
  const TlsContext::Impl& tls_;
  const std::string& peer_;  // host:port, the key of the kept TLS session (HttpsClient's)
  Watchdog& watchdog_;
  Poco::Timespan timeout_;
  bool madeConnection_ = false;
  SteadyClock::time_point connectedAt_{};
};

}  // namespace

std::optional<std::string> clientCertificateRefusal(int status, const std::string& body) {
  if (status == 495) return "HTTP 495: the client certificate failed verification";
  if (status == 496) return "HTTP 496: no client certificate was sent";
  if (status != 400) return std::nullopt;
  for (const char* page : {"No required SSL certificate was sent", "The SSL certificate error"})
    if (body.find(page) != std::string::npos) return "HTTP 400: " + std::string(page);
  return std::nullopt;
}

std::string answerExcerpt(const std::string& body) {
  std::string text;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object())
    for (const char* key : {"error_description", "error", "message"})
      if (json.contains(key) && json[key].is_string()) {
        text = json[key].get<std::string>();
        break;
      }
  if (text.empty()) {
    static const std::regex title(R"(<title>([^<]*)</title>)", std::regex::icase);
    std::smatch match;
    auto head = body.substr(0, 4096);
    text = std::regex_search(head, match, title) ? match[1].str() : body.substr(0, 200);
  }
  std::string line;
  for (char c : text.substr(0, 200)) {
    bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (!control)
      line += c;
    else if (!line.empty() && line.back() != ' ')
      line += ' ';
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

bool refusesUs(TlsFailure failure) {
  return failure != TlsFailure::None && failure != TlsFailure::HandshakeFailure;
}

std::string describe(TlsFailure failure) {
  switch (failure) {
    case TlsFailure::None:
      return "no TLS failure";
    case TlsFailure::CertificateNotTrusted:
      return "the server's certificate does not verify against ca_file (is ca_file the bundle "
             "of the authority that signs it?)";
    case TlsFailure::HostnameMismatch:
      return "the server's certificate does not name the host in base_url (check the address, "
             "or ask the destination for a certificate that names it)";
    case TlsFailure::CertificateExpired:
      return "the server's certificate has expired or is not yet valid (the destination must "
             "renew it; check this machine's clock too)";
    case TlsFailure::ClientCertificateRefused:
      return "the server refused our client certificate (missing, expired, or not issued by "
             "the authority it trusts)";
    case TlsFailure::HandshakeFailure:
      return "the TLS handshake failed";
  }
  return "TLS failure";
}

namespace {

// What OpenSSL reported during this thread's current exchange: the first certificate
// verification error and the last fatal alert the server sent. Recorded by callbacks on the
// context, read when Poco throws, so a failure is decided by its code.
struct TlsObservation {
  int verify_error = X509_V_OK;
  int alert = -1;
  bool certificate_requested = false;  // the server asked for our certificate in a handshake
};
thread_local TlsObservation tlsObserved;
std::atomic<SSL_verify_cb> pocoVerifyCallback{nullptr};

int recordingVerify(int ok, X509_STORE_CTX* store) {
  if (!ok && tlsObserved.verify_error == X509_V_OK)
    tlsObserved.verify_error = X509_STORE_CTX_get_error(store);
  auto next = pocoVerifyCallback.load();
  return next ? next(ok, store) : ok;
}

void recordAlert(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL)
    tlsObserved.alert = ret & 0xff;
  if ((where & SSL_CB_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_CERT_REQ)
    tlsObserved.certificate_requested = true;
}

void observeTls(SSL_CTX* ctx) {
  if (auto poco = SSL_CTX_get_verify_callback(ctx); poco && poco != recordingVerify)
    pocoVerifyCallback.store(poco);
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), recordingVerify);
  SSL_CTX_set_info_callback(ctx, recordAlert);
}

// The failure OpenSSL reported; `certificateRejected` when Poco threw its certificate
// validation exception (its own host name check runs after a chain that verified).
TlsFailure observedFailure(bool certificateRejected) {
  switch (tlsObserved.verify_error) {
    case X509_V_OK:
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsFailure::CertificateExpired;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return TlsFailure::HostnameMismatch;
    default:
      return TlsFailure::CertificateNotTrusted;
  }
  if (certificateRejected) return TlsFailure::HostnameMismatch;
  switch (tlsObserved.alert) {
    case SSL_AD_HANDSHAKE_FAILURE:  // what a TLS 1.2 server sends for a missing certificate
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return TlsFailure::ClientCertificateRefused;
    case -1:
      // No alert, but the server asked for our certificate in this exchange's handshake and
      // then dropped the connection: with TLS 1.3 a refused client certificate is seen after
      // the handshake, and a reset can overtake the alert that says so.
      return tlsObserved.certificate_requested ? TlsFailure::ClientCertificateRefused
                                               : TlsFailure::HandshakeFailure;
    default:
      return TlsFailure::HandshakeFailure;
  }
}

void setTlsFailure(HttpResponse& response, bool certificateRejected, const std::string& detail) {
  response.tls_failure = observedFailure(certificateRejected);
  response.refused_us = refusesUs(response.tls_failure);
  std::string said = tlsObserved.verify_error != X509_V_OK
                         ? X509_verify_cert_error_string(tlsObserved.verify_error)
                         : detail;
  response.transport_error = "TLS: " + (response.tls_failure == TlsFailure::HandshakeFailure
                                            ? said
                                            : describe(response.tls_failure) + ": " + said);
}

}  // namespace

TlsContext::TlsContext(const TlsSettings& tls) : impl_(std::make_unique<Impl>()) {
  initialiseTls();
  impl_->resume_for = tls.resume_for;
  Poco::Net::Context::Params params;
  params.caLocation = tls.ca_file;
  params.loadDefaultCAs = tls.ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.cipherList = "HIGH:!aNULL:!MD5";
  params.ecdhCurve = kKeyExchangeGroups;  // X25519 first, not Poco's X448
  auto& context = impl_->context;
  context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  if (!tls.client_cert.empty()) useClientCertificate(context->sslContext(), tls);
  observeTls(context->sslContext());
  context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                            Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
}

TlsContext::~TlsContext() = default;

struct HttpsClient::Impl {
  std::string host;
  uint16_t port = 443;
  std::string peer;  // host:port: the key of the destination's kept TLS session
  std::string prefix;
  int timeout_ms = 10000;
  std::shared_ptr<const TlsContext> tls;  // shared with the destination's other connections
  Watchdog watchdog;
  std::unique_ptr<GuardedSession> session;  // declared after the watchdog: closed first
  SteadyClock::time_point last_used = SteadyClock::now();
};

HttpsClient::HttpsClient(const std::string& baseUrl, const TlsSettings& tls, int timeoutMs)
    : HttpsClient(baseUrl, std::make_shared<const TlsContext>(tls), timeoutMs) {}

HttpsClient::HttpsClient(const std::string& baseUrl, std::shared_ptr<const TlsContext> tls,
                         int timeoutMs)
    : impl_(std::make_unique<Impl>()) {  // TLS initialised by the TlsContext
  Poco::URI uri(baseUrl);
  if (uri.getScheme() != "https" || uri.getHost().empty())
    throw std::invalid_argument("base_url must be https://host[:port][/path], got " + baseUrl);
  impl_->host = uri.getHost();
  impl_->port = uri.getPort();
  impl_->peer = impl_->host + ":" + std::to_string(impl_->port);
  impl_->prefix = uri.getPath();
  while (!impl_->prefix.empty() && impl_->prefix.back() == '/') impl_->prefix.pop_back();
  impl_->timeout_ms = timeoutMs;
  impl_->tls = std::move(tls);
}

HttpsClient::~HttpsClient() = default;

void HttpsClient::close() {
  impl_->session.reset();
}

bool HttpsClient::holdsConnection() const {
  return impl_->session && impl_->session->connected();
}

std::chrono::steady_clock::time_point HttpsClient::lastUsed() const {
  return impl_->last_used;
}

int HttpsClient::timeoutMs() const {
  return impl_->timeout_ms;
}

std::optional<std::string> HttpsClient::pathOf(const std::string& url) const {
  try {
    Poco::URI uri(url);
    if (uri.getScheme() != "https" || uri.getHost() != impl_->host || uri.getPort() != impl_->port)
      return std::nullopt;
    std::string path = uri.getPathAndQuery();
    if (path.rfind(impl_->prefix, 0) != 0) return std::nullopt;
    return path.substr(impl_->prefix.size());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

HttpResponse HttpsClient::send(const HttpRequest& request) {
  HttpResponse response;
  auto start = SteadyClock::now();
  auto deadline = start + std::chrono::milliseconds(impl_->timeout_ms);
  if (request.deadline && *request.deadline < deadline) deadline = *request.deadline;
  auto allowedMs = std::chrono::ceil<std::chrono::milliseconds>(deadline - start).count();
  auto& watchdog = impl_->watchdog;
  watchdog.arm(deadline);
  tlsObserved = TlsObservation{};
  try {
    // A kept-alive connection the destination closed while it sat idle (its idle timeout, a
    // restart) is not sent on: the request would fail for nothing. Nor is one older than a TLS
    // session is resumed for: the destination's certificate (and ours) are checked again at
    // least that often, and a changed address is looked up again.
    if (impl_->session && impl_->session->connected() &&
        (closedWhileIdle(impl_->session->socket().impl()->sockfd()) ||
         start - impl_->session->connectedAt() >= impl_->tls->impl().resume_for))
      impl_->session.reset();
    if (!impl_->session) {
      impl_->session = std::make_unique<GuardedSession>(
          impl_->host, impl_->port, impl_->peer, impl_->tls->impl(), watchdog, impl_->timeout_ms);
      impl_->session->setKeepAlive(true);
      impl_->session->setKeepAliveTimeout(Poco::Timespan(kKeepIdleConnectionFor.count(), 0));
    } else if (impl_->session->connected()) {
      watchdog.guard(impl_->session->socket().impl()->sockfd());  // a kept-alive connection
    }
    Poco::Net::HTTPRequest req(request.method, impl_->prefix + request.path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.setContentType("application/json");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    req.set("Accept", "application/json");
    std::ostream& out = impl_->session->sendRequest(req);
    out << request.body;
    Poco::Net::HTTPResponse res;
    std::istream& in = impl_->session->receiveResponse(res);
    Poco::StreamCopier::copyToString(in, response.body);
    response.status = static_cast<int>(res.getStatus());
    for (const auto& [name, value] : res) {
      std::string key = name;
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[key] = value;
    }
    impl_->session->keepTlsSession(
        clientCertificateRefusal(response.status, response.body).has_value());
    if (response.status < 200) {
      // An interim answer (103 Early Hints...) where the final one was due: what follows it on
      // the connection is not read as an answer to this request or the next.
      response = HttpResponse{};
      response.transport_error = "HTTP " + std::to_string(static_cast<int>(res.getStatus())) +
                                 ": an interim answer where a final one was due";
    } else if (!res.getKeepAlive() || impl_->session->leftover()) {
      impl_->session.reset();
    }
  } catch (const Poco::Net::CertificateValidationException& e) {
    setTlsFailure(response, true, e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    setTlsFailure(response, false, e.displayText());
  } catch (const Poco::TimeoutException&) {
    response.timed_out = true;
  } catch (const Poco::Exception& e) {
    // A connection reset after the server's fatal alert is still that alert's failure (and one
    // right after it asked for our certificate is a refusal of it, see observedFailure).
    if (tlsObserved.verify_error != X509_V_OK || tlsObserved.alert >= 0 ||
        tlsObserved.certificate_requested)
      setTlsFailure(response, false, e.displayText());
    else
      response.transport_error = e.displayText();
  } catch (const std::exception& e) {
    response.transport_error = e.what();
  }
  watchdog.disarm();
  // Cut off at the deadline: whatever was read (an answer may end early when its connection is
  // shut down) is not an answer.
  if (watchdog.fired() || response.timed_out) {
    response = HttpResponse{};
    response.timed_out = true;
    response.transport_error =
        "timed out: no complete answer within " + std::to_string(std::max<int64_t>(allowedMs, 0)) +
        " ms (timeout_ms covers connecting, the TLS handshake, the request and the answer)";
  }
  if (!response.transport_error.empty()) impl_->session.reset();  // reconnect next time
  if (response.tls_failure != TlsFailure::None) impl_->tls->impl().forget(impl_->peer);
  impl_->last_used = SteadyClock::now();
  return response;
}

}  // namespace markbridge

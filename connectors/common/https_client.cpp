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
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>
#include <stdexcept>

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

std::optional<int64_t> HttpResponse::retryAfterSeconds() const {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  int64_t seconds = 0;
  const auto& v = it->second;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || seconds < 0) return std::nullopt;  // HTTP-date form: use our backoff
  return seconds;
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

}  // namespace

// What went wrong in a handshake, in words an IT technician can act on; `refused` when it was
// a certificate (theirs or ours) rather than the network.
std::string tlsFailure(const std::string& detail, bool& refused) {
  refused = true;
  if (detail.find("certificate verify failed") != std::string::npos)
    return "TLS: the server's certificate does not verify against ca_file (or does not name "
           "this host): " +
           detail;
  for (const char* alert : {"alert certificate", "alert unknown ca", "alert bad certificate",
                            "alert handshake failure", "alert access denied"})
    if (detail.find(alert) != std::string::npos)
      return "TLS: the server refused our client certificate (missing, expired, or not issued "
             "by the authority it trusts): " +
             detail;
  refused = false;
  return "TLS: " + detail;
}

struct HttpsClient::Impl {
  std::string host;
  uint16_t port = 443;
  std::string prefix;
  int timeoutMs = 10000;
  Poco::Net::Context::Ptr context;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session;
};

HttpsClient::HttpsClient(const std::string& baseUrl, TlsSettings tls, int timeoutMs)
    : impl_(std::make_unique<Impl>()) {
  initialiseTls();
  Poco::URI uri(baseUrl);
  if (uri.getScheme() != "https" || uri.getHost().empty())
    throw std::invalid_argument("base_url must be https://host[:port][/path], got " + baseUrl);
  impl_->host = uri.getHost();
  impl_->port = uri.getPort();
  impl_->prefix = uri.getPath();
  while (!impl_->prefix.empty() && impl_->prefix.back() == '/') impl_->prefix.pop_back();
  impl_->timeoutMs = timeoutMs;
  Poco::Net::Context::Params params;
  params.caLocation = tls.ca_file;
  params.loadDefaultCAs = tls.ca_file.empty();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.cipherList = "HIGH:!aNULL:!MD5";
  impl_->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  if (!tls.client_cert.empty()) useClientCertificate(impl_->context->sslContext(), tls);
  impl_->context->disableProtocols(
      Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
      Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
}

HttpsClient::~HttpsClient() = default;

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
  try {
    if (!impl_->session) {
      impl_->session =
          std::make_unique<Poco::Net::HTTPSClientSession>(impl_->host, impl_->port, impl_->context);
      impl_->session->setTimeout(Poco::Timespan(static_cast<long>(impl_->timeoutMs) * 1000));
      impl_->session->setKeepAlive(true);
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
    if (!res.getKeepAlive()) impl_->session.reset();
  } catch (const Poco::Net::CertificateValidationException& e) {
    response.transport_error =
        "TLS: the server's certificate does not verify against ca_file: " + e.displayText();
    response.refused_us = true;
  } catch (const Poco::Net::SSLException& e) {
    response.transport_error = tlsFailure(e.displayText(), response.refused_us);
  } catch (const Poco::TimeoutException&) {
    response.transport_error = "timed out after " + std::to_string(impl_->timeoutMs) + " ms";
  } catch (const Poco::Exception& e) {
    response.transport_error = e.displayText();
  } catch (const std::exception& e) {
    response.transport_error = e.what();
  }
  if (!response.transport_error.empty()) impl_->session.reset();  // reconnect next time
  return response;
}

}  // namespace markbridge

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

#include <charconv>
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
  params.certificateFile = tls.client_cert;
  params.privateKeyFile = tls.client_key;
  params.cipherList = "HIGH:!aNULL:!MD5";
  impl_->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
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
    for (const auto& [name, value] : request.headers) req.set(name, value);
    req.setContentType("application/json");
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
    response.transport_error = "TLS certificate rejected: " + e.displayText();
  } catch (const Poco::Net::SSLException& e) {
    response.transport_error = "TLS failure: " + e.displayText();
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

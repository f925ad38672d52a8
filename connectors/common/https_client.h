#pragma once
// One HTTPS connection to one destination, kept alive between requests. TLS verification is
// always on against a configured CA bundle (and the host name); an optional client certificate
// gives mutual TLS. Transport failures come back as a result, never as an exception.

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
};

struct HttpRequest {
  std::string method = "POST";
  std::string path;
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;  // 0 when no response arrived
  std::string body;
  std::map<std::string, std::string> headers;
  std::string transport_error;  // set when status is 0
  // Status 0: the destination (or its token endpoint) refused who we are before any request:
  // our credentials or client certificate, or its certificate failed verification.
  bool refused_us = false;
  std::optional<int64_t> retryAfterSeconds() const;
};

class HttpsClient {
 public:
  // Throws std::invalid_argument for a base URL that is not https://host[:port][/prefix].
  HttpsClient(const std::string& baseUrl, TlsSettings tls, int timeoutMs);
  ~HttpsClient();
  HttpResponse send(const HttpRequest& request);
  // An absolute URL on this destination (a "next page" link) as a path for send(); nothing when
  // it points at another host, port or scheme (never follow a link off the configured API).
  std::optional<std::string> pathOf(const std::string& url) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Once per process, before any TLS.
void initialiseTls();

}  // namespace markbridge

#pragma once
// What both directions (the MIS REST pull and the HTTPS sinks) decide the same way about an
// HTTP exchange: how text goes into a URL or a form, what an answer or a transport failure
// means (try again, wait as asked, fix the credentials, give up), and how long to wait before
// trying again.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/https_client.h"

namespace markbridge {

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~): safe
// for a query value, a path segment and application/x-www-form-urlencoded alike.
std::string urlEncode(std::string_view text);
// name=value pairs joined with '&', both sides encoded as urlEncode does.
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);
// A rendered path (a webhook's): characters that cannot stand in a URL are encoded, the
// reserved ones that give it its shape (/ ? & = :) are kept.
std::string pathEncode(std::string_view path);

// What an answer (or its absence) means for whoever sent the request.
enum class AnswerKind {
  Ok,                  // 2xx
  Retryable,           // 408, 5xx but 501, no answer (connection, timeout, TLS handshake)
  RateLimited,         // 429
  CredentialsRefused,  // 401, 403, or the OAuth2 token endpoint refused the client
  Refused,             // any other status: this request will never be accepted as it is
  TlsFailure,          // a certificate, ours or theirs, was refused (see AnswerClass::tls)
};

struct AnswerClass {
  AnswerKind kind = AnswerKind::Ok;
  // Retryable and RateLimited: how long the server asked us to wait (Retry-After), if it did.
  std::optional<int64_t> retry_after_ms;
  TlsFailure tls = TlsFailure::None;  // TlsFailure: which
  bool retryable() const {
    return kind == AnswerKind::Retryable || kind == AnswerKind::RateLimited;
  }
  // A person must act (credentials, certificates) before this destination can be used.
  bool needsAPerson() const {
    return kind == AnswerKind::CredentialsRefused || kind == AnswerKind::TlsFailure;
  }
};

// One classification for both directions. A TLS-terminating proxy's page refusing our client
// certificate (nginx's 400/495/496, see clientCertificateRefusal) is a TlsFailure with
// ClientCertificateRefused, not a refused request.
AnswerClass classifyAnswer(const HttpResponse& response, std::chrono::system_clock::time_point now =
                                                             std::chrono::system_clock::now());

// The wait before try `attempt` + 1 (attempt counts from 1) when the server did not say:
// exponential from `baseMs` (doubling, at most 2^10 times), with full jitter (uniform from 0 to
// that), so many clients that failed together do not come back together.
int64_t backoffMs(int attempt, int baseMs, std::mt19937_64& random);

}  // namespace markbridge

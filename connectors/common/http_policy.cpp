#include "connectors/common/http_policy.h"

#include <algorithm>

namespace markbridge {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void percent(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

}  // namespace

std::string urlEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c))
      out += ch;
    else
      percent(out, c);
  }
  return out;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += urlEncode(name) + "=" + urlEncode(value);
  }
  return out;
}

std::string pathEncode(std::string_view path) {
  constexpr std::string_view kKept = "/?&=:@!$'()*+,;";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || kKept.find(ch) != std::string_view::npos)
      out += ch;
    else
      percent(out, c);
  }
  return out;
}

AnswerClass classifyAnswer(const HttpResponse& response,
                           std::chrono::system_clock::time_point now) {
  AnswerClass answer;
  int status = response.status;
  if (status == 0) {
    if (response.tls_failure != TlsFailure::None && refusesUs(response.tls_failure)) {
      answer.kind = AnswerKind::TlsFailure;
      answer.tls = response.tls_failure;
    } else if (response.refused_us) {
      answer.kind = AnswerKind::CredentialsRefused;  // the token endpoint said no
    } else {
      answer.kind = AnswerKind::Retryable;
      answer.retry_after_ms = response.retryAfterMs(now);  // a token endpoint's outage
    }
    return answer;
  }
  if (status >= 200 && status < 300) return answer;
  if (clientCertificateRefusal(status, response.body)) {
    answer.kind = AnswerKind::TlsFailure;
    answer.tls = TlsFailure::ClientCertificateRefused;
  } else if (status == 401 || status == 403) {
    answer.kind = AnswerKind::CredentialsRefused;
  } else if (status == 429) {
    answer.kind = AnswerKind::RateLimited;
    answer.retry_after_ms = response.retryAfterMs(now);
  } else if (status == 408 || (status >= 500 && status != 501)) {
    answer.kind = AnswerKind::Retryable;
    answer.retry_after_ms = response.retryAfterMs(now);
  } else {
    answer.kind = AnswerKind::Refused;
  }
  return answer;
}

int64_t backoffMs(int attempt, int baseMs, std::mt19937_64& random) {
  int64_t cap = int64_t{std::max(baseMs, 0)} << std::clamp(attempt - 1, 0, 10);
  return std::uniform_int_distribution<int64_t>(0, cap)(random);
}

}  // namespace markbridge

#pragma once
// MIS REST API (Wonde-style aggregator):
//   GET {base}/v1.0/schools/{school_id}/attendance/session?updated_after=...&include=<include>
//   (`include` configurable, default student,attendance_code; the "wonde" preset adds
//   student.education_details)  with  Authorization: Bearer <token>
// paged through meta.pagination.next until it is null. Each pull starts from the newest
// `updated_at` of the last stored pull (kept in the store with that import, so a pull that is
// refused or fails is simply asked for again). 429, 408, 5xx and dropped connections are retried
// with backoff, honouring Retry-After; any other answer refuses the pull, naming the page.
// Credentials and TLS are the sinks' (connectors/common): a bearer token (token_env), OAuth2
// client credentials or an API key (`auth`), and a client certificate (client_cert,
// client_key). Refused credentials or certificates are not retried: the pull is refused saying
// what to fix, and counted in credentialsRefused() (`sync` exits 5).
// All pages of a pull are one import: stored whole or not at all.

#include <chrono>
#include <memory>
#include <random>

#include "connectors/common/credentials.h"
#include "connectors/common/https_client.h"
#include "connectors/inbound/inbound_connector.h"
#include "connectors/inbound/mis_rest/mis_rest_config.h"

namespace markbridge {

class MisRestConnector : public InboundConnector {
 public:
  MisRestConnector(MisRestConfig config, CodeMap codes, const TlsSettings& tls,
                   std::unique_ptr<Credentials> credentials);
  const std::string& name() const override { return config_.name; }
  void rewind(Date since) override { rewound_ = since.iso() + " 00:00:00"; }
  void pull(ImportReceiver& into) override;
  // A file holding one saved page (for checking field paths against a real payload).
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  const CodeMap* codes() const override { return &codes_; }
  // Pulls refused because the API (or its token endpoint) refused our credentials or client
  // certificate, or its certificate failed verification: a person must act.
  int64_t credentialsRefused() const override { return credentialsRefused_; }

 private:
  // The page's body, or nothing with `error` saying why (after the retries allowed).
  // `refusedUs` when the API refused our credentials or certificate (not retried).
  std::optional<std::string> fetch(const std::string& path, std::string& error, bool& refusedUs);
  // Why an item without a UPN (and no pupil on roll with its MIS id) is refused: the field
  // path, and what to add to `include` when the path reads through one not asked for.
  std::string missingUpn(const std::string& misId) const;
  void addPages(const std::vector<MisPage>& pages, const std::vector<std::string>& origins,
                const std::string& fingerprint, const std::string& since, ImportReceiver& into);

  MisRestConfig config_;
  std::string rewound_;  // set by rewind(): the next pull's updated_after
  CodeMap codes_;
  std::unique_ptr<Credentials> credentials_;
  std::unique_ptr<HttpsClient> client_;
  int64_t credentialsRefused_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
};

// How long to wait before try `attempt` + 1: what the API's Retry-After asks (delay-seconds or
// an HTTP date, measured from `now`; at most kMaxRetryAfterMs), else capped exponential backoff
// from `baseMs` with full jitter.
constexpr int64_t kMaxRetryAfterMs = 60'000;
int64_t retryWaitMs(const HttpResponse& response, int attempt, int baseMs, std::mt19937_64& random,
                    std::chrono::system_clock::time_point now);

std::unique_ptr<InboundConnector> buildMisRestConnector(const nlohmann::json& config,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context);

}  // namespace markbridge

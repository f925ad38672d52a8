#include "connectors/inbound/mis_rest/mis_rest_connector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include "connectors/common/http_policy.h"
#include "connectors/common/secret.h"
#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/source_file.h"
#include "core/domain/digest.h"
#include "core/domain/logging.h"
#include "core/domain/upn.h"
#include "core/domain/utf8.h"

namespace markbridge {
namespace {

constexpr const char* kStateKey = "updated_after";

// What a person must do when the API refused who we are (credentials or certificates).
std::string whatToFix(const AnswerClass& answer) {
  if (answer.kind == AnswerKind::TlsFailure)
    return answer.tls == TlsFailure::ClientCertificateRefused
               ? "check client_cert and client_key (and that the API's operator trusts the "
                 "authority that issued them)"
               : "check ca_file and base_url against the API's certificate";
  return "check the source's credentials (token_env/token_file, or auth: client_id and the "
         "client secret) and that the school has authorised this app";
}

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The student's admission and leaving dates, when the API gives an admission date: the leaving
// date beside it is then the MIS's word (null: still on roll).
void addOnRoll(BatchBuilder& builder, const MisItem& item, const std::string& origin) {
  if (item.admission_date.empty()) return;
  OnRollRecord roll;
  roll.upn = item.upn;
  roll.line = item.index;
  for (auto [text, into, name] :
       {std::tuple{&item.admission_date, &roll.period.admitted, "admission_date"},
        std::tuple{&item.leaving_date, &roll.period.left, "leaving_date"}}) {
    if (text->empty()) continue;
    *into = Date::parseIso(*text);
    if (!*into) {
      builder.batch().problems.push_back(Problem{origin, item.index, 0, "", excerptUtf8(*text),
                                                 std::string(name) + " must be yyyy-mm-dd"});
      return;
    }
  }
  if (roll.period.left && *roll.period.left < *roll.period.admitted) {
    builder.batch().problems.push_back(
        Problem{origin, item.index, 0, "", roll.period.left->iso(),
                "leaving_date is before admission_date (" + roll.period.admitted->iso() + ")"});
    return;
  }
  builder.addOnRoll(std::move(roll));
}

}  // namespace

int64_t retryWaitMs(const HttpResponse& response, int attempt, int baseMs, std::mt19937_64& random,
                    std::chrono::system_clock::time_point now) {
  // Retry-After when the API gives one (seconds or an HTTP date), at most a minute; otherwise
  // capped exponential backoff with full jitter.
  if (auto after = classifyAnswer(response, now).retry_after_ms)
    return std::min<int64_t>(*after, kMaxRetryAfterMs);
  return backoffMs(attempt, baseMs, random);
}

MisRestConnector::MisRestConnector(MisRestConfig config, CodeMap codes, const TlsSettings& tls,
                                   std::unique_ptr<Credentials> credentials)
    : config_(std::move(config)), codes_(std::move(codes)), credentials_(std::move(credentials)) {
  client_ = std::make_unique<HttpsClient>(config_.base_url, tls, config_.timeout_ms);
}

std::optional<std::string> MisRestConnector::fetch(const std::string& path, std::string& error,
                                                   bool& refusedUs) {
  auto log = namedLogger(config_.name);
  HttpRequest request{"GET", path, {}, "", std::nullopt};
  auto transport = [this](const HttpRequest& withCredentials) {
    return client_->send(withCredentials);
  };
  for (int attempt = 1;; ++attempt) {
    auto response = credentials_->send(request, transport);
    counters_.bytes += static_cast<int64_t>(response.body.size());
    auto answer = classifyAnswer(response);
    if (answer.kind == AnswerKind::Ok) return response.body;
    std::string why =
        response.status == 0 ? response.transport_error : "HTTP " + std::to_string(response.status);
    if (answer.kind == AnswerKind::TlsFailure && response.status != 0)  // a proxy's refusal page
      why = "TLS: " + describe(answer.tls) + " (HTTP " + std::to_string(response.status) + ")";
    if (answer.needsAPerson()) {  // not retried: the same credentials get the same answer
      refusedUs = true;
      auto said = response.status == 0 ? "" : answerExcerpt(response.body);
      error = why + (said.empty() ? "" : ": " + said) +
              "; the API refused us: " + whatToFix(answer) + ", then pull again";
      return std::nullopt;
    }
    if (!answer.retryable() || attempt >= config_.max_attempts) {
      std::string body = response.body.substr(0, 200);
      error = why + (body.empty() ? "" : ": " + body) +
              (answer.retryable() ? " (after " + std::to_string(attempt) + " tries)" : "");
      return std::nullopt;
    }
    ++counters_.retries;
    int64_t waitMs = retryWaitMs(response, attempt, config_.retry_base_ms, random_,
                                 std::chrono::system_clock::now());
    log->warn("{} (try {} of {}), again in {} ms", why, attempt, config_.max_attempts, waitMs);
    std::this_thread::sleep_for(std::chrono::milliseconds(waitMs));
  }
}

void MisRestConnector::pull(ImportReceiver& into) {
  auto log = namedLogger(config_.name);
  std::string since = into.sourceState(config_.name, kStateKey).value_or(config_.since);
  if (!rewound_.empty()) since = std::min(since, std::exchange(rewound_, std::string()));
  std::string path = "/v1.0/schools/" + urlEncode(config_.school_id) +
                     "/attendance/session?updated_after=" + urlEncode(since) +
                     "&include=" + config_.include;  // checked: letters, digits, _ . and ,
  std::vector<MisPage> pages;
  std::vector<std::string> origins;
  ContentFingerprint fingerprint;
  fingerprint.update(since);
  auto refuse = [&](const std::string& origin, std::string message) {
    ImportBatch batch;
    batch.source = config_.name;
    batch.origin = origin;
    batch.problems.push_back(Problem{origin, 0, 0, "", "", std::move(message)});
    ++counters_.failures;
    log->error("pull refused, nothing from this pull was stored: {}", batch.problems.back().str());
    into.finish(std::move(batch));
  };
  for (int n = 1;; ++n) {
    std::string origin = config_.base_url + path;
    std::string error;
    bool refusedUs = false;
    auto body = fetch(path, error, refusedUs);
    if (!body) {
      if (refusedUs) ++credentialsRefused_;
      return refuse(origin, "page " + std::to_string(n) + ": " + error);
    }
    fingerprint.update(*body);
    auto page = parseMisPage(*body, config_.fields);
    if (!page.error.empty()) return refuse(origin, "page " + std::to_string(n) + ": " + page.error);
    auto next = page.next;
    pages.push_back(std::move(page));
    origins.push_back(origin);
    if (!next) break;
    auto nextPath = client_->pathOf(*next);
    if (!nextPath)
      return refuse(origin, "meta.pagination.next points away from base_url: " + *next);
    path = *nextPath;
  }
  addPages(pages, origins, fingerprint.hex(), since, into);
}

void MisRestConnector::read(const std::filesystem::path& file, ImportReceiver& into) {
  readInboundFile(
      file, config_.name, into, counters_,
      [&](const std::filesystem::path& p, const std::string& fingerprint, ImportReceiver& to) {
        std::error_code sizeError;
        if (auto size = std::filesystem::file_size(p, sizeError);
            !sizeError && size > kMaxMisPageBytes) {
          BatchBuilder builder(to, config_.name, p.string(), config_.priority);
          builder.problem(0, 0, std::to_string(size) + " bytes",
                          "refused unread: bigger than the limit of " +
                              std::to_string(kMaxMisPageBytes) + " bytes for one page");
          return builder.finish(fingerprint);
        }
        std::string error;
        auto source = readSourceFile(p, error);
        auto page = parseMisPage(source ? *source : "", config_.fields);
        if (!page.error.empty()) {
          BatchBuilder builder(to, config_.name, p.string(), config_.priority);
          builder.problem(page.line, page.column, "", page.error);
          builder.batch().problems.back().location = page.location;
          return builder.finish(fingerprint);
        }
        addPages({page}, {p.string()}, fingerprint, "", to);
      });
}

std::string MisRestConnector::missingUpn(const std::string& misId) const {
  std::string message = "no UPN at " + config_.fields.upn;
  if (!misId.empty())
    message = "unknown pupil: " + message +
              " and no pupil on roll has this MIS id (import the MIS's pupil list or census "
              "first)";
  std::string asked = "," + config_.include + ",";
  for (const auto& relation : includesRead(config_.fields.upn))
    if (asked.find("," + relation + ",") == std::string::npos)
      return message + " (the API is asked to include " + config_.include + ": add " + relation +
             " to `include`" +
             (config_.preset == "wonde" ? ", or leave `include` out: the preset asks for it)"
                                        : ", or set \"preset\": \"wonde\")");
  return message;
}

void MisRestConnector::addPages(const std::vector<MisPage>& pages,
                                const std::vector<std::string>& origins,
                                const std::string& fingerprint, const std::string& since,
                                ImportReceiver& into) {
  if (into.alreadyImported(config_.name, fingerprint)) {
    ImportBatch batch;
    batch.source = config_.name;
    batch.origin = origins.front();
    batch.fingerprint = fingerprint;
    batch.skipped = true;
    return into.finish(std::move(batch));
  }
  BatchBuilder builder(into, config_.name, origins.front(), config_.priority);
  std::string newest = since;
  int64_t marks = 0;
  for (std::size_t p = 0; p < pages.size() && !builder.full(); ++p) {
    // Problems name the page's URL and the item's position in its `data` as the "line".
    MarkNormaliser normaliser(codes_, origins[p], config_.name, nowSeconds(), &into.directory());
    normaliser.acceptAheadUntil(into.calendarEnd());
    for (const auto& item : pages[p].items) {
      ++builder.batch().rows;
      RawMark raw;
      raw.line = item.index;
      raw.upn = RawField{item.upn, 0};
      raw.mis_id = RawField{item.mis_id, 0};
      raw.date = RawField{item.date, 0};
      raw.session = RawField{item.session, 0};
      raw.code = RawField{item.code, 0};
      if (item.upn.empty() && (item.mis_id.empty() || !into.directory().upnOf(item.mis_id))) {
        // Say which field was missing, not "invalid UPN ... has 0".
        builder.batch().problems.push_back(
            Problem{origins[p], item.index, 0, "", item.mis_id, missingUpn(item.mis_id)});
        continue;
      }
      if (!item.upn.empty() && isValidUpn(item.upn)) {
        if (!builder.knowsPupil(item.upn))
          builder.addPupil(
              Pupil{item.upn, item.mis_id, item.forename, item.surname, {}, {}, {}, {}});
        // Every item carries the student's admission register: items that disagree about it
        // refuse the pull (the next pull reads it again, settled).
        addOnRoll(builder, item, origins[p]);
      }
      std::size_t before = builder.batch().problems.size();
      builder.addRaw(normaliser, raw);
      marks += builder.batch().problems.size() == before;
      newest = std::max(newest, item.updated_at);
    }
  }
  if (!since.empty()) builder.batch().source_state[kStateKey] = newest;
  if (builder.batch().ok())
    counters_.records += marks;
  else
    ++counters_.failures;
  namedLogger(config_.name)
      ->info("pulled {} page(s): {} items, {} problems", pages.size(), builder.batch().rows,
             builder.batch().problems.size());
  builder.finish(fingerprint);
}

std::unique_ptr<InboundConnector> buildMisRestConnector(const nlohmann::json& json,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = MisRestConfig::fromJson(json, path, baseDir, context);
  auto codes = CodeMap::builtIn();
  codes.addOverrides(config.code_map, path + ".code_map", context);
  if (context.problems->size() != before) return nullptr;
  // The short form (token_env / token_file beside the source): problems name those keys.
  bool shortForm = !(json.is_object() && json.contains("auth"));
  if (shortForm && !readTokenSetting(config.token_env, config.token_file, path, context))
    return nullptr;
  if (!config.ca_file.empty() && !std::filesystem::exists(config.ca_file)) {
    context.add(path + ".ca_file", "no such file", config.ca_file.string());
    return nullptr;
  }
  auto tls = config.certificate.tls(config.ca_file, path, context);
  if (!tls) return nullptr;
  try {
    auto credentials = Credentials::open(config.auth, *tls, config.timeout_ms, "source",
                                         config.name, path, context);
    if (!credentials) return nullptr;
    return std::make_unique<MisRestConnector>(std::move(config), std::move(codes), *tls,
                                              std::move(credentials));
  } catch (const std::invalid_argument& e) {
    context.add(path + ".base_url", e.what());
    return nullptr;
  } catch (const std::exception& e) {
    // A CA bundle or client certificate OpenSSL cannot load, a wrong passphrase.
    context.add(path, std::string("cannot set up TLS: ") + e.what());
    return nullptr;
  }
}

}  // namespace markbridge

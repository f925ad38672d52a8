#include "connectors/inbound/mis_rest/mis_rest_connector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <tuple>
#include <utility>

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

std::string urlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if (std::isalnum(b) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

bool retryable(const HttpResponse& r) {
  return r.status == 0 || r.status == 408 || r.status == 429 ||
         (r.status >= 500 && r.status != 501);
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
  builder.batch().on_roll.push_back(std::move(roll));
}

}  // namespace

int64_t retryWaitMs(const HttpResponse& response, int attempt, int baseMs, std::mt19937_64& random,
                    std::chrono::system_clock::time_point now) {
  // Retry-After when the API gives one (seconds or an HTTP date), at most a minute.
  if (auto after = response.retryAfterMs(now)) return std::min<int64_t>(*after, kMaxRetryAfterMs);
  // Otherwise capped exponential backoff with full jitter.
  int64_t cap = int64_t{baseMs} << std::min(attempt - 1, 10);
  return std::uniform_int_distribution<int64_t>(0, cap)(random);
}

MisRestConnector::MisRestConnector(MisRestConfig config, CodeMap codes, std::string token)
    : config_(std::move(config)), codes_(std::move(codes)), token_(std::move(token)) {
  client_ = std::make_unique<HttpsClient>(
      config_.base_url, TlsSettings{config_.ca_file.string(), "", "", ""}, config_.timeout_ms);
}

std::optional<std::string> MisRestConnector::fetch(const std::string& path, std::string& error) {
  auto log = namedLogger(config_.name);
  HttpRequest request{"GET", path, {{"Authorization", "Bearer " + token_}}, "", std::nullopt};
  for (int attempt = 1;; ++attempt) {
    auto response = client_->send(request);
    counters_.bytes += static_cast<int64_t>(response.body.size());
    if (response.status >= 200 && response.status < 300) return response.body;
    std::string why =
        response.status == 0 ? response.transport_error : "HTTP " + std::to_string(response.status);
    if (!retryable(response) || attempt >= config_.max_attempts) {
      std::string body = response.body.substr(0, 200);
      error = why + (body.empty() ? "" : ": " + body) +
              (retryable(response) ? " (after " + std::to_string(attempt) + " tries)" : "");
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
    auto body = fetch(path, error);
    if (!body) return refuse(origin, "page " + std::to_string(n) + ": " + error);
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
      if (!item.upn.empty() && isValidUpn(item.upn) && !builder.knowsPupil(item.upn)) {
        builder.addPupil(Pupil{item.upn, item.mis_id, item.forename, item.surname, {}, {}, {}, {}});
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
  auto token = readTokenSetting(config.token_env, config.token_file, path, context);
  if (!token) return nullptr;
  if (!config.ca_file.empty() && !std::filesystem::exists(config.ca_file)) {
    context.add(path + ".ca_file", "no such file", config.ca_file.string());
    return nullptr;
  }
  try {
    return std::make_unique<MisRestConnector>(std::move(config), std::move(codes),
                                              std::move(*token));
  } catch (const std::exception& e) {
    context.add(path + ".base_url", e.what());
    return nullptr;
  }
}

}  // namespace markbridge

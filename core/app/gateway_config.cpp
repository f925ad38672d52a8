#include "core/app/gateway_config.h"

#include <algorithm>

#include "connectors/common/credentials.h"
#include "connectors/inbound/inbound_connector.h"
#include "connectors/outbound/outbound_types.h"
#include "core/app/deployment_config.h"
#include "core/domain/config_table.h"
#include "core/domain/json_file.h"
#include "core/store/postgres_db.h"
#include "schedules/school_calendar.h"

namespace markbridge {
namespace {

bool allDigits(const std::string& s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789") == std::string::npos;
}

void checkParts(const nlohmann::json& list, const std::string& path, bool inbound,
                const std::filesystem::path& baseDir, const ConfigContext& context) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    const auto& part = list[i];
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      context.add(p + ".type", "each entry needs a \"type\"");
      continue;
    }
    auto type = part["type"].get<std::string>();
    auto inboundType = inbound ? findInboundType(type) : nullptr;
    auto outboundType = inbound ? nullptr : findOutboundType(type);
    if (inboundType)
      inboundType->validate(part, p, baseDir, context);
    else if (outboundType)
      outboundType->validate(part, p, baseDir, context);
    else
      context.add(p + ".type", inbound ? "unknown source type" : "unknown sink type", type);
    if (part.contains("name") && part["name"].is_string() &&
        !names.insert(part["name"].get<std::string>()).second)
      context.add(p + ".name", "another entry has this name", part["name"].get<std::string>());
  }
}

const SettingTable<ServiceConfig>& serviceTable() {
  using S = ServiceConfig;
  static const auto table =
      SettingTable<S>()
          .integer("admin_port", &S::admin_port,
                   "port of the admin API (/health, /metrics, /status, /sync, /outbox); 0: any "
                   "free port; -1: no admin API",
                   {-1, 65535})
          .text("admin_bind", &S::admin_bind,
                "address the admin API listens on (keep it local unless it has TLS)")
          .text("admin_token_env", &S::admin_token_env,
                "environment variable holding the admin API's bearer token (required with the "
                "API)")
          .path("admin_token_file", &S::admin_token_file,
                "owner-only file holding the admin API's bearer token")
          .path("admin_cert", &S::admin_cert, "PEM certificate: serve the admin API over TLS")
          .path("admin_key", &S::admin_key, "PEM key of admin_cert")
          .path("log_file", &S::log_file,
                "JSON-lines log file, rotated at 10 MB, 5 kept (the terminal gets the human "
                "format)")
          .path("port_file", &S::port_file,
                "file the admin API's port is written to once it listens (for admin_port 0)")
          .path("console_users_file", &S::console_users_file,
                "owner-only file of the web console's users (`markbridge user add`); empty: no "
                "console (docs/console.md)")
          .path("console_audit_log", &S::console_audit_log,
                "append-only JSON-lines file of who logged in, opened which page and retried or "
                "discarded which outbox item in the console");
  return table;
}

const SettingTable<School>& schoolTable() {
  auto digits = [](std::size_t n) {
    return [n](const nlohmann::json& v) { return !allDigits(v.get<std::string>(), n); };
  };
  static const auto table = SettingTable<School>()
                                .text("urn", &School::urn, "unique reference number, 6 digits")
                                .required()
                                .refuse(digits(6), "must be 6 digits")
                                .text("la", &School::la, "LA number, 3 digits")
                                .required()
                                .refuse(digits(3), "must be 3 digits")
                                .text("estab", &School::estab, "establishment number, 4 digits")
                                .required()
                                .refuse(digits(4), "must be 4 digits")
                                .text("name", &School::name, "school name")
                                .required();
  return table;
}

const SettingTable<GatewayConfig>& storeTable() {
  using G = GatewayConfig;
  static const auto table =
      SettingTable<G>()
          .path("sqlite", &G::store_path, "SQLite database file")
          .text("postgresql", &G::store_postgresql,
                "PostgreSQL instead: postgresql://user@host:port/database?sslmode=verify-full "
                "(no password in it)")
          .text("password_env", &G::store_password_env,
                "environment variable holding the PostgreSQL password")
          .path("password_file", &G::store_password_file,
                "file holding the PostgreSQL password (mode 0600 or stricter)");
  return table;
}

const SettingTable<DeliveryOptions>& deliveryTable() {
  using D = DeliveryOptions;
  constexpr int64_t kSecond = 1000;
  constexpr int64_t kHour = 3'600'000;
  static const auto table =
      SettingTable<D>()
          .integer("base_backoff_ms", [](D & d) -> auto& { return d.backoff.base_ms; },
                   "first retry waits up to this long", {1})
          .integer(
              "max_backoff_ms", [](D & d) -> auto& { return d.backoff.cap_ms; },
              "no retry waits longer than this (at least base_backoff_ms)")
          .duration("run_budget_seconds", &D::run_budget_ms, kSecond, "seconds",
                    "the hard limit on one sync's delivery, waits for retries included: no "
                    "attempt starts after it; what is left waits for the next sync")
          .integer("max_attempts", &D::max_attempts,
                   "attempts before an item is dead-lettered (0: no limit)")
          .duration("give_up_after_hours", &D::give_up_after_ms, kHour, "hours",
                    "an item still undelivered this long after it was queued is dead-lettered "
                    "and an ALERT logged (0: never)",
                    {0})
          .integer("circuit_failures", [](D & d) -> auto& { return d.circuit.failures; },
                   "attempts in a row with no answer at all (connection refused or dropped, timed "
                   "out) that pause a sink (its items wait without spending attempts)",
                   {1})
          .integer(
              "circuit_failure_percent", [](D & d) -> auto& { return d.circuit.failure_percent; },
              "the failure rate over the last circuit_window_seconds that pauses a sink", {1, 100})
          .integer("circuit_min_requests", [](D & d) -> auto& { return d.circuit.min_requests; },
                   "attempts the window must hold before its failure rate counts", {1})
          .duration("circuit_window_seconds", [](D & d) -> auto& { return d.circuit.window_ms; },
                    kSecond, "seconds", "the sliding window the failure rate is measured over", {1})
          .duration("circuit_pause_seconds", [](D & d) -> auto& { return d.circuit.cooldown_ms; },
                    kSecond, "seconds",
                    "the first pause; each failed trial doubles it, up to 15 minutes", {1});
  return table;
}

const SettingTable<GatewayConfig>& rootTable() {
  using G = GatewayConfig;
  auto parts = [](bool inbound) {
    return [inbound](G& c, const nlohmann::json& v, const SettingScope& scope) {
      (inbound ? c.sources : c.sinks) = v;
      checkParts(v, scope.path, inbound, scope.base_dir, scope.context);
    };
  };
  static const auto table =
      SettingTable<G>()
          .section("school", &G::school, schoolTable(),
                   "{urn, la, estab, name}: the school as the LA knows it")
          .required()
          .section(
              "store", [](G& c) -> G& { return c; }, storeTable(),
              "{\"sqlite\": \"path\"} or {\"postgresql\": \"URI\", \"password_env\": ...}: where "
              "the register is kept")
          .path("calendar", &G::calendar_path, "the school calendar file (see schedules/calendars)")
          .required()
          .custom("sources", FieldType::Array, "inbound connectors: [{name, type, ...}]",
                  parts(true), nlohmann::json::array())
          .custom(
              "rules", FieldType::Object,
              "the policies to run (default: the built-in statutory policy) and notify_from",
              [](G& c, const nlohmann::json& v, const SettingScope& scope) {
                c.rules = RuleSet::fromJson(v, scope.path, scope.base_dir, scope.context);
              },
              nlohmann::json::object())
          .custom("sinks", FieldType::Array, "outbound connectors: [{name, type, ...}]",
                  parts(false), nlohmann::json::array())
          .section("delivery", &G::delivery, deliveryTable(),
                   "retry and backoff settings for the outbox")
          .choice("log_level", &G::log_level, {{"debug"}, {"info"}, {"warn"}, {"error"}}, "")
          .custom(
              "schedule", FieldType::Object,
              "when `markbridge run` syncs: register close times, grace, nightly reconciliation",
              [](G& c, const nlohmann::json& v, const SettingScope& scope) {
                c.schedule = ScheduleConfig::fromJson(v, scope.path, scope.context);
              },
              nlohmann::json::object())
          .section("service", &G::service, serviceTable(),
                   "`markbridge run`: the admin API (port, token, TLS) and the log file");
  return table;
}

}  // namespace

std::vector<std::string> partNames(const nlohmann::json& parts) {
  std::vector<std::string> names;
  for (const auto& json : parts)
    if (json.is_object() && json.contains("name") && json["name"].is_string())
      names.push_back(json["name"].get<std::string>());
  return names;
}

void fillGatewayConfig(GatewayConfig& config, const nlohmann::json& json, const std::string& at,
                       const ConfigContext& context) {
  config.json_path = at;
  rootTable().apply(json, at, config.base_dir, context, config);
  // What no single row can check.
  if (config.delivery.backoff.cap_ms < config.delivery.backoff.base_ms)
    context.add(at + ".delivery.max_backoff_ms", "must be at least base_backoff_ms",
                std::to_string(config.delivery.backoff.cap_ms));
  // A roll source naming no source would leave that source's pupils unwatched, silently.
  if (const auto& roll = config.rules.missingEducation().roll_sources) {
    auto names = partNames(config.sources);
    for (std::size_t i = 0; i < roll->size(); ++i)
      if (std::find(names.begin(), names.end(), (*roll)[i]) == names.end())
        context.add(at + ".rules.missing_education.roll_sources[" + std::to_string(i) + "]",
                    "names no source in `sources`", (*roll)[i]);
  }
  // One store: SQLite or PostgreSQL; a PostgreSQL password never in the configuration file.
  if (!config.store_postgresql.empty()) {
    if (json.contains("store") && json["store"].is_object() && json["store"].contains("sqlite"))
      context.add(at + ".store.sqlite", "sqlite and postgresql: choose one store");
    if (postgresUriHoldsPassword(config.store_postgresql))
      context.add(at + ".store.postgresql",
                  "holds a password: give it in password_env or password_file instead (the "
                  "value is not shown)");
    if (!config.store_password_env.empty() && !config.store_password_file.empty())
      context.add(at + ".store.password_file", "password_env and password_file: choose one");
  } else if (!config.store_password_env.empty() || !config.store_password_file.empty()) {
    context.add(config.store_password_env.empty() ? at + ".store.password_file"
                                                  : at + ".store.password_env",
                "is for a PostgreSQL store: set store.postgresql too");
  }
  const auto& svc = config.service;
  if (svc.admin_cert.empty() != svc.admin_key.empty())
    context.add(at + ".service.admin_key", "admin_cert and admin_key go together");
}

GatewayConfig loadGatewayConfig(const std::filesystem::path& file, std::vector<Problem>& problems,
                                const std::string& urn) {
  auto json = readJsonFile(file, "configuration file", problems);
  if (json && json->is_object() && json->contains("schools"))
    return schoolOfDeployment(file, *json, urn, problems);
  GatewayConfig config;
  config.file = file;
  config.base_dir = std::filesystem::absolute(file).parent_path();
  if (!json) return config;
  ConfigContext context{file.string(), &problems};
  fillGatewayConfig(config, *json, "$", context);
  if (!urn.empty() && problems.empty() && urn != config.school.urn)
    context.add(
        "$.school.urn",
        "this configuration is one school, URN " + config.school.urn + ": --school names another",
        urn);
  return config;
}

std::string storeDescription(const GatewayConfig& config) {
  if (config.store_postgresql.empty()) return config.store_path.string();
  return describePostgresUri(config.store_postgresql) + ", school " + config.school.urn;
}

std::string describeConfiguration() {
  std::string text = "## Top level\n\n" + rootTable().describe();
  text +=
      "\n## schools (a trust's configuration)\n\n"
      "Many schools in one file and one `markbridge run` (docs/trusts.md): `schools` is a list "
      "of objects, each with the top level's keys for one school. Each school gives its own "
      "`school`, `calendar`, `sources` and `rules`; `sinks`, `delivery`, `schedule`, `store` and "
      "`log_level` at the top level are the defaults of every school that leaves them out (a "
      "school's own `sinks` replace the shared list); `service` is at the top level only. "
      "Without `store`, each school's register is the SQLite file `stores/<URN>.db` beside the "
      "configuration; a shared `{\"sqlite\": ...}` path holds `{urn}`. Refused: a URN twice, a "
      "school without a URN, two schools on one SQLite file, an `la_portal` sink (its address "
      "or credentials) used by schools of different LAs.\n\n"
      "| key | type | default | required | description |\n|---|---|---|---|---|\n"
      "| `schools` | array |  | no | [{school, calendar, sources, rules, and optionally sinks, "
      "delivery, schedule, store, log_level}]: the trust's schools; `school` and `calendar` are "
      "then not at the top level |\n";
  text += "\n## school\n\n" + schoolTable().describe();
  text += "\n## store\n\n" + storeTable().describe();
  text += "\n## delivery\n\n" + deliveryTable().describe();
  text += "\n## schedule\n\n" + ScheduleConfig::describe();
  text += "\n## service\n\n" + serviceTable().describe();
  text += "\n## rules\n\n" + RuleSet::describe();
  text += "\n## rules.admission_register\n\n" + AdmissionReturnSettings::table().describe();
  text += "\n## rules.missing_education\n\n" + MissingEducationSettings::table().describe();
  text += "\n## calendar file\n\n" + SchoolCalendar::describe();
  for (const auto& t : inboundTypes())
    text += "\n## source type `" + std::string(t.type) + "`: " + std::string(t.summary) + "\n\n" +
            t.describe();
  for (const auto& t : outboundTypes())
    text += "\n## sink type `" + std::string(t.type) + "`: " + std::string(t.summary) + "\n\n" +
            t.describe();
  text += "\n## auth (of a source or a sink)\n\n" + AuthConfig::describe();
  return text;
}

}  // namespace markbridge

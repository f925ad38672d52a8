#include "core/app/gateway_config.h"

#include "connectors/inbound/inbound_connector.h"
#include "connectors/outbound/outbound_types.h"
#include "core/domain/json_file.h"
#include "schedules/school_calendar.h"

namespace markbridge {
namespace {

constexpr Field kRootFields[] = {
    {"school", FieldType::Object, "", true,
     "{urn, la, estab, name}: the school as the LA knows it"},
    {"store", FieldType::Object, "{}", false, "{\"sqlite\": \"path\"}: where the register is kept"},
    {"calendar", FieldType::String, "", true, "the school calendar file (see schedules/calendars)"},
    {"sources", FieldType::Array, "[]", false, "inbound connectors: [{name, type, ...}]"},
    {"rules", FieldType::Object, "{}", false,
     "the policies to run (default: the built-in statutory policy) and notify_from"},
    {"sinks", FieldType::Array, "[]", false, "outbound connectors: [{name, type, ...}]"},
    {"delivery", FieldType::Object, "{}", false, "retry and backoff settings for the outbox"},
    {"log_level", FieldType::String, "\"info\"", false, "debug | info | warn | error"},
    {"schedule", FieldType::Object, "{}", false,
     "when `markbridge run` syncs: register close times, grace, nightly reconciliation"},
    {"service", FieldType::Object, "{}", false,
     "`markbridge run`: the admin API (port, token, TLS) and the log file"},
};
constexpr Field kServiceFields[] = {
    {"admin_port", FieldType::Integer, "8441", false,
     "port of the admin API (/health, /metrics, /status, /sync, /outbox); 0: any free port; "
     "-1: no admin API"},
    {"admin_bind", FieldType::String, "\"127.0.0.1\"", false,
     "address the admin API listens on (keep it local unless it has TLS)"},
    {"admin_token_env", FieldType::String, "\"\"", false,
     "environment variable holding the admin API's bearer token (required with the API)"},
    {"admin_token_file", FieldType::String, "\"\"", false,
     "owner-only file holding the admin API's bearer token"},
    {"admin_cert", FieldType::String, "\"\"", false,
     "PEM certificate: serve the admin API over TLS"},
    {"admin_key", FieldType::String, "\"\"", false, "PEM key of admin_cert"},
    {"log_file", FieldType::String, "\"\"", false,
     "JSON-lines log file, rotated at 10 MB, 5 kept (the terminal gets the human format)"},
    {"port_file", FieldType::String, "\"\"", false,
     "file the admin API's port is written to once it listens (for admin_port 0)"},
};
constexpr Field kSchoolFields[] = {
    {"urn", FieldType::String, "", true, "unique reference number, 6 digits"},
    {"la", FieldType::String, "", true, "LA number, 3 digits"},
    {"estab", FieldType::String, "", true, "establishment number, 4 digits"},
    {"name", FieldType::String, "", true, "school name"},
};
constexpr Field kStoreFields[] = {
    {"sqlite", FieldType::String, "\"markbridge.db\"", false, "SQLite database file"},
};
constexpr Field kDeliveryFields[] = {
    {"base_backoff_ms", FieldType::Integer, "1000", false, "first retry waits up to this long"},
    {"max_backoff_ms", FieldType::Integer, "300000", false, "no retry waits longer than this"},
    {"run_budget_seconds", FieldType::Integer, "30", false,
     "the hard limit on one sync's delivery, waits for retries included: no attempt starts "
     "after it; what is left waits for the next sync"},
    {"max_attempts", FieldType::Integer, "0", false,
     "attempts before an item is dead-lettered (0: no limit)"},
    {"give_up_after_hours", FieldType::Integer, "72", false,
     "an item still undelivered this long after it was queued is dead-lettered and an ALERT "
     "logged (0: never)"},
    {"circuit_failures", FieldType::Integer, "10", false,
     "attempts in a row with no answer at all (connection refused or dropped, timed out) that "
     "pause a sink (its items wait without spending attempts)"},
    {"circuit_failure_percent", FieldType::Integer, "80", false,
     "the failure rate over the last circuit_window_seconds that pauses a sink"},
    {"circuit_min_requests", FieldType::Integer, "20", false,
     "attempts the window must hold before its failure rate counts"},
    {"circuit_window_seconds", FieldType::Integer, "60", false,
     "the sliding window the failure rate is measured over"},
    {"circuit_pause_seconds", FieldType::Integer, "60", false,
     "the first pause; each failed trial doubles it, up to 15 minutes"},
};

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

}  // namespace

GatewayConfig loadGatewayConfig(const std::filesystem::path& file, std::vector<Problem>& problems) {
  GatewayConfig config;
  config.file = file;
  config.base_dir = std::filesystem::absolute(file).parent_path();
  ConfigContext context{file.string(), &problems};
  auto json = readJsonFile(file, "configuration file", problems);
  if (!json) return config;
  auto root = applySchema(*json, kRootFields, "$", context);
  auto resolve = [&](const std::string& p) { return resolveConfigPath(config.base_dir, p); };
  if (root.contains("school")) {
    auto s = applySchema(root["school"], kSchoolFields, "$.school", context);
    config.school =
        School{s.value("urn", ""), s.value("la", ""), s.value("estab", ""), s.value("name", "")};
    if (s.contains("urn") && !allDigits(config.school.urn, 6))
      context.add("$.school.urn", "must be 6 digits", config.school.urn);
    if (s.contains("la") && !allDigits(config.school.la, 3))
      context.add("$.school.la", "must be 3 digits", config.school.la);
    if (s.contains("estab") && !allDigits(config.school.estab, 4))
      context.add("$.school.estab", "must be 4 digits", config.school.estab);
  }
  if (root.contains("store"))
    config.store_path = resolve(applySchema(root["store"], kStoreFields, "$.store", context)
                                    .value("sqlite", "markbridge.db"));
  if (root.contains("calendar"))
    config.calendar_path = resolve(root["calendar"].get<std::string>());
  if (root.contains("sources")) {
    config.sources = root["sources"];
    checkParts(config.sources, "$.sources", true, config.base_dir, context);
  }
  if (root.contains("sinks")) {
    config.sinks = root["sinks"];
    checkParts(config.sinks, "$.sinks", false, config.base_dir, context);
  }
  config.rules = RuleSet::fromJson(root.value("rules", nlohmann::json::object()), "$.rules",
                                   config.base_dir, context);
  if (root.contains("delivery")) {
    auto d = applySchema(root["delivery"], kDeliveryFields, "$.delivery", context);
    config.delivery.backoff.base_ms = d.value("base_backoff_ms", 1000);
    config.delivery.backoff.cap_ms = d.value("max_backoff_ms", 300000);
    config.delivery.run_budget_ms = d.value("run_budget_seconds", int64_t{30}) * 1000;
    config.delivery.max_attempts = d.value("max_attempts", 0);
    config.delivery.give_up_after_ms = d.value("give_up_after_hours", int64_t{72}) * 3'600'000;
    auto& circuit = config.delivery.circuit;
    circuit.failures = d.value("circuit_failures", 10);
    circuit.cooldown_ms = d.value("circuit_pause_seconds", int64_t{60}) * 1000;
    circuit.failure_percent = d.value("circuit_failure_percent", 80);
    circuit.min_requests = d.value("circuit_min_requests", 20);
    circuit.window_ms = d.value("circuit_window_seconds", int64_t{60}) * 1000;
    if (circuit.failures < 1 || circuit.cooldown_ms < 1000 || config.delivery.give_up_after_ms < 0)
      context.add("$.delivery",
                  "need circuit_failures >= 1, circuit_pause_seconds >= 1 and "
                  "give_up_after_hours >= 0");
    if (circuit.failure_percent < 1 || circuit.failure_percent > 100 || circuit.min_requests < 1 ||
        circuit.window_ms < 1000)
      context.add("$.delivery",
                  "need 1 <= circuit_failure_percent <= 100, circuit_min_requests >= 1 and "
                  "circuit_window_seconds >= 1");
    if (config.delivery.backoff.base_ms < 1 ||
        config.delivery.backoff.cap_ms < config.delivery.backoff.base_ms)
      context.add("$.delivery", "need 1 <= base_backoff_ms <= max_backoff_ms");
  }
  if (root.contains("schedule"))
    config.schedule = ScheduleConfig::fromJson(root["schedule"], "$.schedule", context);
  if (root.contains("service")) {
    auto v = applySchema(root["service"], kServiceFields, "$.service", context);
    auto& svc = config.service;
    svc.admin_port = v.value("admin_port", 8441);
    if (svc.admin_port < -1 || svc.admin_port > 65535)
      context.add("$.service.admin_port", "must be a port, 0 or -1",
                  std::to_string(svc.admin_port));
    svc.admin_bind = v.value("admin_bind", std::string("127.0.0.1"));
    svc.admin_token_env = v.value("admin_token_env", std::string());
    auto file = [&](const char* key) {
      auto value = v.value(key, std::string());
      return value.empty() ? std::filesystem::path() : resolve(value);
    };
    svc.admin_token_file = file("admin_token_file");
    svc.admin_cert = file("admin_cert");
    svc.admin_key = file("admin_key");
    svc.log_file = file("log_file");
    svc.port_file = file("port_file");
    if (svc.admin_cert.empty() != svc.admin_key.empty())
      context.add("$.service.admin_key", "admin_cert and admin_key go together");
  }
  config.log_level = root.value("log_level", "info");
  if (config.log_level != "debug" && config.log_level != "info" && config.log_level != "warn" &&
      config.log_level != "error")
    context.add("$.log_level", "must be debug, info, warn or error", config.log_level);
  return config;
}

std::string describeConfiguration() {
  std::string text = "## Top level\n\n" + describeSchema(kRootFields);
  text += "\n## school\n\n" + describeSchema(kSchoolFields);
  text += "\n## store\n\n" + describeSchema(kStoreFields);
  text += "\n## delivery\n\n" + describeSchema(kDeliveryFields);
  text += "\n## schedule\n\n" + describeSchema(ScheduleConfig::schema());
  text += "\n## service\n\n" + describeSchema(kServiceFields);
  text += "\n## rules\n\n" + describeSchema(RuleSet::schema());
  text += "\n## calendar file\n\n" + describeSchema(SchoolCalendar::schema());
  for (const auto& t : inboundTypes())
    text += "\n## source type `" + std::string(t.type) + "`: " + std::string(t.summary) + "\n\n" +
            describeSchema(t.schema());
  for (const auto& t : outboundTypes())
    text += "\n## sink type `" + std::string(t.type) + "`: " + std::string(t.summary) + "\n\n" +
            describeSchema(t.schema());
  return text;
}

}  // namespace markbridge

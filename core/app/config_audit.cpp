#include "core/app/config_audit.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "connectors/common/secret.h"
#include "core/app/console/console.h"
#include "core/app/console/console_users.h"
#include "core/app/service_health.h"
#include "core/domain/json_file.h"
#include "core/rules/digest.h"
#include "schedules/london_time.h"

namespace markbridge {
namespace {

constexpr int64_t kCertificateWarningDays = 30;

struct Audit {
  const GatewayConfig& config;
  ConfigAudit& out;
  void problem(const std::string& path, const std::string& message, const std::string& value = {}) {
    out.problems.push_back(Problem{config.file.string(), 0, 0, path, value, message});
  }
  void warning(const std::string& path, const std::string& message, const std::string& value = {}) {
    out.warnings.push_back(Problem{config.file.string(), 0, 0, path, value, message});
  }
};

std::string isoDay(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char text[40];  // room for three ints of any value: no truncation warning
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return text;
}

// The certificate at `file` (setting `path`): expired or not yet valid is a problem, expiring
// within 30 days a warning.
void checkCertificate(Audit& audit, const std::string& path, const std::filesystem::path& file,
                      int64_t now) {
  if (file.empty()) return;
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(file.c_str(), "r"), &std::fclose);
  if (!in) {
    audit.problem(path, "file not found or not readable", file.string());
    return;
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) {
    audit.problem(path, "is not a PEM certificate", file.string());
    return;
  }
  std::time_t at = static_cast<std::time_t>(now);
  const ASN1_TIME* notAfter = X509_get0_notAfter(cert.get());
  const ASN1_TIME* notBefore = X509_get0_notBefore(cert.get());
  if (X509_cmp_time(notAfter, &at) < 0) {
    audit.problem(path,
                  "the certificate expired on " + isoDay(notAfter) +
                      ": the destination will refuse it; install a new one (docs/operations.md, "
                      "'Rotate certificates')",
                  file.string());
    return;
  }
  if (X509_cmp_time(notBefore, &at) > 0) {
    audit.problem(path, "the certificate is not valid until " + isoDay(notBefore), file.string());
    return;
  }
  std::time_t soon = at + static_cast<std::time_t>(kCertificateWarningDays * 86400);
  if (X509_cmp_time(notAfter, &soon) < 0)
    audit.warning(path,
                  "the certificate expires on " + isoDay(notAfter) +
                      ", within 30 days: get its replacement now",
                  file.string());
}

void checkSourceFiles(Audit& audit) {
  const auto& sources = audit.config.sources;
  if (!sources.is_array()) return;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& source = sources[i];
    if (!source.is_object()) continue;
    std::string at = audit.config.json_path + ".sources[" + std::to_string(i) + "]";
    if (source.contains("files") && source["files"].is_array())
      for (std::size_t j = 0; j < source["files"].size(); ++j) {
        const auto& file = source["files"][j];
        if (!file.is_string()) continue;
        auto path = resolveConfigPath(audit.config.base_dir, file.get<std::string>());
        std::error_code error;
        if (!std::filesystem::is_regular_file(path, error))
          audit.problem(at + ".files[" + std::to_string(j) + "]",
                        "file not found: every sync would refuse this source", path.string());
      }
    if (source.contains("drop_folder") && source["drop_folder"].is_string() &&
        !source["drop_folder"].get<std::string>().empty()) {
      auto path =
          resolveConfigPath(audit.config.base_dir, source["drop_folder"].get<std::string>());
      std::error_code error;
      if (!std::filesystem::is_directory(path, error))
        audit.problem(at + ".drop_folder", "folder not found", path.string());
    }
  }
}

void checkSinkCertificates(Audit& audit, int64_t now) {
  const auto& sinks = audit.config.sinks;
  if (!sinks.is_array()) return;
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    const auto& sink = sinks[i];
    if (!sink.is_object() || !sink.contains("client_cert") || !sink["client_cert"].is_string())
      continue;
    auto value = sink["client_cert"].get<std::string>();
    if (value.empty()) continue;
    checkCertificate(audit, audit.config.sinks_path + "[" + std::to_string(i) + "].client_cert",
                     resolveConfigPath(audit.config.base_dir, value), now);
  }
}

// INSET days are training days inside a term; one outside every term changes nothing, so its
// date is almost certainly wrong (and the real INSET day counts as a school day).
void checkInsetDays(ConfigAudit& out, const Gateway& gateway) {
  const auto& file = gateway.config().calendar_path;
  std::vector<Problem> unread;  // the calendar loaded before: it reads as it did then
  auto json = readJsonFile(file, "calendar file", unread).value_or(nullptr);
  if (!json.is_object() || !json.contains("inset_days") || !json["inset_days"].is_array()) return;
  const auto& days = json["inset_days"];
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (!days[i].is_string()) continue;
    auto day = Date::parseIso(days[i].get<std::string>());
    if (day && !gateway.calendar().termOf(*day))
      out.problems.push_back(Problem{file.string(), 0, 0, "$.inset_days[" + std::to_string(i) + "]",
                                     day->iso(),
                                     "this INSET day is outside every term: check its date"});
  }
}

// The console's users file: readable by its owner only, every line well formed, someone in it.
void checkConsole(Audit& audit) {
  const auto& svc = audit.config.service;
  if (svc.admin_port < 0 || svc.console_users_file.empty()) return;
  try {
    if (readConsoleUsers(svc.console_users_file, true).empty())
      audit.warning("$.service.console_users_file",
                    "no console users yet: add one with `markbridge user --config FILE add NAME "
                    "--role technician`",
                    svc.console_users_file.string());
  } catch (const std::exception& e) {
    audit.problem("$.service.console_users_file", e.what());
  }
}

void checkAdminApi(Audit& audit, int64_t now) {
  const auto& svc = audit.config.service;
  if (svc.admin_port < 0) return;
  bool tls = !svc.admin_cert.empty();
  if (!tls && !isLoopbackAddress(svc.admin_bind))
    audit.problem("$.service.admin_bind",
                  "the admin API would listen beyond this machine without TLS (its token would "
                  "cross the network in clear): set admin_cert and admin_key, or bind 127.0.0.1",
                  svc.admin_bind);
  if (tls) checkCertificate(audit, "$.service.admin_cert", svc.admin_cert, now);
  if (svc.admin_token_env.empty() && svc.admin_token_file.empty()) {
    audit.warning("$.service.admin_token_env",
                  "no admin token is set: `markbridge run` will not start with the admin API on "
                  "(set admin_token_env or admin_token_file, or admin_port -1)");
    return;
  }
  std::string error;
  auto token = readSecret(svc.admin_token_env, svc.admin_token_file, error);
  std::string path =
      svc.admin_token_env.empty() ? "$.service.admin_token_file" : "$.service.admin_token_env";
  if (!token)
    audit.problem(path, error);
  else if (token->size() < kMinAdminTokenLength)
    audit.problem(path, "the admin token is " + std::to_string(token->size()) +
                            " character(s): use at least " + std::to_string(kMinAdminTokenLength) +
                            " random characters (e.g. `openssl rand -hex 24`)");
}

}  // namespace

std::vector<std::string> digestsGoingNowhere(const Gateway& gateway) {
  std::vector<std::string> out;
  if (gateway.sinks().empty()) return out;
  std::string cpoms;  // the sinks that could take digests: "digest" is one word in their events
  for (const auto& sink : gateway.config().sinks) {
    if (!sink.is_object()) continue;
    if (sink.value("type", "") == "cpoms" || sink.value("type", "") == "webhook")
      cpoms += (cpoms.empty() ? "" : ", ") + sink.value("name", std::string("?"));
  }
  // A school that sends no pastoral record anywhere (an LA portal alone) is not told: its concerns
  // and tasks go nowhere either, and the dry run lists those it raises.
  bool pastoral = false;
  for (const auto& sink : gateway.sinks()) {
    auto types = sink->eventTypes();
    if (types.count(std::string(kDigestType))) return out;
    pastoral = pastoral || types.count("concern") || types.count("task") || types.count("note");
  }
  if (!pastoral) return out;
  for (const auto& rule : digestRules(gateway.config().rules.policies()))
    out.push_back("the " + std::string(rule.every == "day" ? "daily" : "weekly") + " digest of " +
                  rule.rule + " for " + rule.to +
                  " GOES TO NO SINK: no sink in the configuration takes \"digest\", so its "
                  "pupils are recorded and nobody is told (add \"digest\" to the events of " +
                  (cpoms.empty() ? std::string("a cpoms or webhook sink") : "sink " + cpoms) +
                  "; docs/rules.md, \"Digests\")");
  return out;
}

ConfigAudit auditConfiguration(const Gateway& gateway, int64_t nowSeconds) {
  ConfigAudit out;
  Audit audit{gateway.config(), out};
  checkSinkCertificates(audit, nowSeconds);
  checkSourceFiles(audit);
  checkAdminApi(audit, nowSeconds);
  checkConsole(audit);
  checkInsetDays(out, gateway);
  for (const auto& warning : digestsGoingNowhere(gateway))
    audit.warning(gateway.config().sinks_path, warning);
  for (const auto& warning : calendarWarnings(gateway.calendar(), london::localDate(nowSeconds)))
    audit.warning(gateway.config().json_path + ".calendar", warning,
                  gateway.config().calendar_path.string());
  return out;
}

}  // namespace markbridge

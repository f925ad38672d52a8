#pragma once
// The gateway's configuration file: the school, the store, the calendar, the sources (inbound
// connectors), the rules, the sinks (outbound connectors) and delivery settings. Relative paths
// are relative to the config file.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/domain/config_schema.h"
#include "core/domain/problem.h"
#include "core/domain/school.h"
#include "core/outbox/delivery_worker.h"
#include "core/rules/rule_set.h"
#include "schedules/sync_schedule.h"

namespace markbridge {

// `markbridge run`: the admin API and the log file. The member initialisers are the defaults.
struct ServiceConfig {
  int admin_port = 8441;  // 0: any free port (tests); -1: no admin API
  std::string admin_bind = "127.0.0.1";
  std::string admin_token_env;
  std::filesystem::path admin_token_file;
  std::filesystem::path admin_cert, admin_key;  // TLS for the admin API, when both are set
  std::filesystem::path log_file;               // JSON lines, rotated; empty: stderr only
  std::filesystem::path port_file;              // written with the admin port once listening
  // The web console (core/app/console): its users file (empty: no console) and its audit log.
  std::filesystem::path console_users_file;
  std::filesystem::path console_audit_log = "console-audit.jsonl";
};

// The member initialisers are the defaults (`markbridge describe` prints them from here).
struct GatewayConfig {
  std::filesystem::path file;
  std::filesystem::path base_dir;
  // Where this school's settings sit in the file: "$", or "$.schools[2]" in a trust's
  // configuration (docs/trusts.md); its sinks may be the shared list at "$.sinks".
  std::string json_path = "$";
  std::string sinks_path = "$.sinks";
  School school;
  std::filesystem::path store_path = "markbridge.db";
  // A trust's default store file (stores/<URN>.db), or with PostgreSQL the school's sync lock
  // beside where it would be: its folder is made when the store is opened.
  bool make_store_folder = false;
  // A trust's school ("URN:"): what its Idempotency-Keys begin with (DeliveryWorker::key_scope).
  std::string key_scope;
  // PostgreSQL instead of SQLite when set (a URI with no password in it); the school's URN keys
  // its rows. The password comes from the environment variable or the owner-only file.
  std::string store_postgresql;
  std::string store_password_env;
  std::filesystem::path store_password_file;
  std::filesystem::path calendar_path;
  nlohmann::json sources;  // validated per connector type when built
  nlohmann::json sinks;
  RuleSet rules;
  DeliveryOptions delivery;
  std::string log_level = "info";
  ScheduleConfig schedule;
  ServiceConfig service;
};

// Reads and validates (no connection is made, no secret is read). Problems name JSON paths.
// `urn` picks one school of a trust's configuration (`schools: [...]`, deployment_config.h);
// for a single-school file it must be that school's URN or empty.
GatewayConfig loadGatewayConfig(const std::filesystem::path& file, std::vector<Problem>& problems,
                                const std::string& urn = "");
// One school's settings from their JSON object at `at` ("$" or "$.schools[2]"); `config`'s
// file and base_dir are set by the caller.
void fillGatewayConfig(GatewayConfig& config, const nlohmann::json& json, const std::string& at,
                       const ConfigContext& context);
// The names of configured sources or sinks (`sources`, `sinks`), in their order (a part
// without a text name, which the configuration refuses, is left out).
std::vector<std::string> partNames(const nlohmann::json& parts);

// Where the register is kept, for messages and `status`: the SQLite file, or "PostgreSQL at
// host:port, database d, user u" (never a password).
std::string storeDescription(const GatewayConfig& config);

// Every setting of every part, as Markdown tables (for `markbridge describe`).
std::string describeConfiguration();

}  // namespace markbridge

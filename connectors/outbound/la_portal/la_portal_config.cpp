#include "connectors/outbound/la_portal/la_portal_config.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

constexpr Field kFields[] = {
    {"name", FieldType::String, "", true, "a short name for this sink, e.g. \"la\""},
    {"type", FieldType::String, "", true, "\"la_portal\""},
    {"base_url", FieldType::String, "", true, "the portal's address, https://host[:port][/prefix]"},
    {"ca_file", FieldType::String, "", true,
     "PEM bundle of the CA that signs the portal's certificate (verification is always on)"},
    {"token_env", FieldType::String, "\"\"", false,
     "environment variable holding the bearer token"},
    {"token_file", FieldType::String, "\"\"", false,
     "file holding the bearer token (mode 0600); used when token_env is empty"},
    {"client_cert", FieldType::String, "\"\"", false, "PEM client certificate for mutual TLS"},
    {"client_key", FieldType::String, "\"\"", false, "PEM private key of the client certificate"},
    {"timeout_ms", FieldType::Integer, "10000", false, "connect/read timeout per request"},
    {"events", FieldType::Array, R"(["unauthorised_10_day","sickness_15_day"])", false,
     "notification types sent to this portal; corrections (`update`) always follow a "
     "notification that was sent"},
    {"contact", FieldType::Object, "{}", false,
     "school attendance contact: {\"name\", \"email\", \"phone\"}"},
};

std::filesystem::path resolve(const nlohmann::json& value, const std::filesystem::path& baseDir) {
  return resolveConfigPath(baseDir, value.get<std::string>());
}

}  // namespace

std::span<const Field> LaPortalConfig::schema() {
  return kFields;
}

LaPortalConfig LaPortalConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                        const std::filesystem::path& baseDir,
                                        const ConfigContext& context) {
  LaPortalConfig config;
  auto f = applySchema(json, kFields, path, context);
  auto str = [&](const char* key) { return f.contains(key) ? f[key].get<std::string>() : ""; };
  config.name = str("name");
  config.base_url = str("base_url");
  if (!config.base_url.empty() && config.base_url.rfind("https://", 0) != 0)
    context.add(path + ".base_url", "must start with https:// (TLS is required)", config.base_url);
  if (f.contains("ca_file")) config.ca_file = resolve(f["ca_file"], baseDir);
  config.token_env = str("token_env");
  if (f.contains("token_file")) config.token_file = resolve(f["token_file"], baseDir);
  if (config.token_env.empty() && config.token_file.empty())
    context.add(path + ".token_env",
                "set token_env or token_file: the portal needs a bearer token");
  if (f.contains("client_cert")) config.client_cert = resolve(f["client_cert"], baseDir);
  if (f.contains("client_key")) config.client_key = resolve(f["client_key"], baseDir);
  if (config.client_cert.empty() != config.client_key.empty())
    context.add(path + ".client_key", "client_cert and client_key go together");
  if (f.contains("timeout_ms")) {
    config.timeout_ms = f["timeout_ms"].get<int>();
    if (config.timeout_ms < 100)
      context.add(path + ".timeout_ms", "must be at least 100", std::to_string(config.timeout_ms));
  }
  const std::set<std::string> known = {"unauthorised_10_day", "sickness_15_day",
                                       "irregular_attendance", "penalty_threshold", "update"};
  if (f.contains("events")) {
    const auto& events = f["events"];
    for (std::size_t i = 0; i < events.size(); ++i) {
      std::string p = path + ".events[" + std::to_string(i) + "]";
      if (!events[i].is_string() || !known.count(events[i].get<std::string>()))
        context.add(p, "is not an LA notification type", events[i].dump());
      else
        config.events.insert(events[i].get<std::string>());
    }
  }
  if (f.contains("contact")) {
    const auto& c = f["contact"];
    for (const auto& [key, value] : c.items()) {
      if (!value.is_string() || (key != "name" && key != "email" && key != "phone"))
        context.add(path + ".contact." + key, "contact takes string name, email and phone",
                    value.dump());
    }
    config.contact_name = c.value("name", "");
    config.contact_email = c.value("email", "");
    config.contact_phone = c.value("phone", "");
  }
  return config;
}

}  // namespace markbridge

#include "connectors/inbound/mis_rest/mis_rest_config.h"

#include <nlohmann/json.hpp>

#include "connectors/inbound/common/source_config.h"

namespace markbridge {
namespace {

constexpr std::array<Field, 20> kOwnFields = {{
    {"type", FieldType::String, "", true, "\"mis_rest\""},
    {"base_url", FieldType::String, "", true,
     "the aggregator's API, https://host[:port][/prefix] (TLS is always verified)"},
    {"school_id", FieldType::String, "", true, "the school's id at the aggregator"},
    {"token_env", FieldType::String, "\"\"", false,
     "environment variable holding the bearer token (or set `auth`)"},
    {"token_file", FieldType::String, "\"\"", false,
     "file holding the bearer token (mode 0600), when token_env is not used"},
    kAuthField,
    {"ca_file", FieldType::String, "\"\"", false,
     "PEM bundle that signs the API's certificate (empty: the system's trusted CAs)"},
    kClientCertField,
    kClientKeyField,
    kClientKeyPassphraseEnvField,
    kClientKeyPassphraseFileField,
    {"fields", FieldType::Object, "{}", false,
     "dotted paths into each item, e.g. {\"code\": \"attendance_code.data.code\"}; keys upn, "
     "mis_id, forename, surname, date, session, code, updated_at, admission_date, leaving_date "
     "(the "
     "admission register: a student with an admission date is on roll from it to the leaving "
     "date, or still on roll when it is null)"},
    {"preset", FieldType::String, "\"\"", false,
     "a known API shape whose `fields` and `include` are filled in: \"wonde\" (UPN from "
     "student.data.education_details.data.upn); `fields` and `include` set beside it win"},
    {"include", FieldType::String, "\"student,attendance_code\"", false,
     "what the API is asked to include, comma-separated (the \"wonde\" preset asks for "
     "student,student.education_details,attendance_code)"},
    {"since", FieldType::String, "\"2000-01-01 00:00:00\"", false,
     "updated_after for the first pull; later pulls start from the newest updated_at stored"},
    {"max_attempts", FieldType::Integer, "5", false,
     "tries per page when the API answers 429/5xx or the connection fails"},
    {"retry_base_ms", FieldType::Integer, "500", false,
     "first backoff between tries (doubling, full jitter; Retry-After honoured)"},
    {"timeout_ms", FieldType::Integer, "30000", false, "per request"},
    {"priority", FieldType::Integer, "0", false,
     "precedence when two sources disagree on a session (see sims_csv)"},
    {"code_map", FieldType::Object, "{}", false,
     "vendor code -> 2024 code, layered over the built-in legacy map"},
}};
constexpr std::array<Field, 1> kName = {{
    {"name", FieldType::String, "", true, "a short name for this source, e.g. \"arbor\""},
}};
constexpr auto kFields = joinFields(kName, kOwnFields);

// Names separated by commas, each of letters, digits, `_` and `.`: nothing that could change
// the query string it is put into.
bool isNameList(std::string_view list) {
  constexpr std::string_view kNameCharacters =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
  if (list.empty()) return false;
  while (true) {
    auto comma = list.find(',');
    auto name = list.substr(0, comma);
    if (name.empty() || name.find_first_not_of(kNameCharacters) != std::string_view::npos)
      return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<MisPreset> misPreset(std::string_view name) {
  if (name != "wonde") return std::nullopt;
  // Wonde's GET /v1.0/schools/{id}/attendance/session: each included object sits under
  // `data`; the UPN is only in the student's education_details.
  MisPreset wonde;
  wonde.fields.upn = "student.data.education_details.data.upn";
  wonde.fields.mis_id = "student.data.mis_id";
  wonde.fields.forename = "student.data.forename";
  wonde.fields.surname = "student.data.surname";
  wonde.fields.date = "date.date";
  wonde.fields.session = "session";
  wonde.fields.code = "attendance_code.data.code";
  wonde.fields.updated_at = "updated_at.date";
  wonde.fields.admission_date = "student.data.education_details.data.admission_date.date";
  wonde.fields.leaving_date = "student.data.education_details.data.leaving_date.date";
  wonde.include = "student,student.education_details,attendance_code";
  return wonde;
}

std::vector<std::string> includesRead(std::string_view path) {
  std::vector<std::string> needed;
  std::string relation;
  while (!path.empty()) {
    auto dot = path.find('.');
    auto key = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (key == "data" && !relation.empty()) {
      needed.push_back(relation);
      continue;
    }
    relation += (relation.empty() ? "" : ".") + std::string(key);
  }
  return needed;
}

std::span<const Field> MisRestConfig::schema() {
  return kFields;
}

MisRestConfig MisRestConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  auto filled = applySchema(json, kFields, path, context);
  MisRestConfig c;
  auto text = [&](const char* key) { return filled.value(key, std::string()); };
  c.name = text("name");
  c.base_url = text("base_url");
  if (!c.base_url.empty() && c.base_url.rfind("https://", 0) != 0)
    context.add(path + ".base_url", "must start with https:// (TLS is always used)", c.base_url);
  c.school_id = text("school_id");
  c.token_env = text("token_env");
  c.token_file = resolveConfigPath(baseDir, text("token_file"));
  bool hasToken = !c.token_env.empty() || !c.token_file.empty();
  if (json.is_object() && json.contains("auth")) {
    c.auth = AuthConfig::fromJson(json["auth"], path + ".auth", baseDir, context);
    if (hasToken)
      context.add(path + ".auth",
                  "set either token_env/token_file or auth, not both (auth {\"type\": "
                  "\"bearer\", \"token_env\": ...} is the same as token_env)");
    else if (c.auth.type == "none")
      context.add(path + ".auth.type", "the API needs credentials: bearer, oauth2 or api_key",
                  c.auth.type);
  } else if (hasToken) {
    c.auth.type = "bearer";  // the short form: token_env / token_file beside the source
    c.auth.secret_env = c.token_env;
    c.auth.secret_file = c.token_file;
  } else {
    context.add(path + ".token_env",
                "set token_env or token_file: the API needs a bearer token (or set auth for "
                "OAuth2 client credentials)");
  }
  c.ca_file = resolveConfigPath(baseDir, text("ca_file"));
  c.certificate = ClientCertificateConfig::fromJson(filled, path, baseDir, context);
  c.since = text("since");
  c.priority = filled.value("priority", 0);
  c.max_attempts = filled.value("max_attempts", 5);
  c.retry_base_ms = filled.value("retry_base_ms", 500);
  c.timeout_ms = filled.value("timeout_ms", 30000);
  if (c.max_attempts < 1) context.add(path + ".max_attempts", "must be at least 1");
  c.code_map = stringMap(filled, "code_map", path, context);
  c.preset = text("preset");
  if (auto preset = misPreset(c.preset)) {
    c.fields = preset->fields;
    c.include = preset->include;
  } else if (!c.preset.empty()) {
    context.add(path + ".preset", "must be \"wonde\" (or left out and `fields` set)", c.preset);
  }
  if (json.is_object() && json.contains("include")) c.include = text("include");
  if (!isNameList(c.include))
    context.add(path + ".include",
                "must be names separated by commas, e.g. \"student,student.education_details,"
                "attendance_code\" (letters, digits, _ and . only)",
                c.include);
  std::pair<const char*, std::string*> paths[] = {{"upn", &c.fields.upn},
                                                  {"mis_id", &c.fields.mis_id},
                                                  {"forename", &c.fields.forename},
                                                  {"surname", &c.fields.surname},
                                                  {"date", &c.fields.date},
                                                  {"session", &c.fields.session},
                                                  {"code", &c.fields.code},
                                                  {"updated_at", &c.fields.updated_at},
                                                  {"admission_date", &c.fields.admission_date},
                                                  {"leaving_date", &c.fields.leaving_date}};
  for (const auto& [key, value] : stringMap(filled, "fields", path, context)) {
    bool known = false;
    for (auto& [name, target] : paths)
      if (key == name) *target = value, known = true;
    if (!known) context.add(path + ".fields." + key, "is not a field this connector reads", key);
  }
  return c;
}

}  // namespace markbridge

#include "connectors/inbound/mis_rest/mis_rest_config.h"

#include <nlohmann/json.hpp>

#include "connectors/common/credentials.h"
#include "core/domain/config_table.h"

namespace markbridge {
namespace {

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

namespace {

// The members `fields` may set, by key.
std::vector<std::pair<std::string_view, std::string*>> fieldTargets(MisFieldPaths& f) {
  return {{"upn", &f.upn},
          {"mis_id", &f.mis_id},
          {"forename", &f.forename},
          {"surname", &f.surname},
          {"date", &f.date},
          {"session", &f.session},
          {"code", &f.code},
          {"updated_at", &f.updated_at},
          {"admission_date", &f.admission_date},
          {"leaving_date", &f.leaving_date}};
}

// Sets the paths `object` names; unknown keys and non-strings are problems when `scope` is set.
void readFieldPaths(MisFieldPaths& fields, const nlohmann::json& object,
                    const SettingScope* scope) {
  auto targets = fieldTargets(fields);
  for (const auto& [key, value] : object.items()) {
    if (!value.is_string()) {
      if (scope) scope->context.add(scope->path + "." + key, "must be a string", value.dump());
      continue;
    }
    bool known = false;
    for (auto& [name, target] : targets)
      if (key == name) *target = value.get<std::string>(), known = true;
    if (!known && scope)
      scope->context.add(scope->path + "." + key, "is not a field this connector reads", key);
  }
}

const SettingTable<MisRestConfig>& misRestTable() {
  using M = MisRestConfig;
  auto nothing = [](M&, const nlohmann::json&, const SettingScope&) {};
  static const auto table =
      SettingTable<M>()
          .text("name", &M::name, "a short name for this source, e.g. \"arbor\"")
          .required()
          .custom("type", FieldType::String, "\"mis_rest\"", nothing, nullptr)
          .required()
          .text("base_url", &M::base_url,
                "the aggregator's API, https://host[:port][/prefix] (TLS is always verified)")
          .required()
          .refuse(
              [](const nlohmann::json& v) {
                auto url = v.get<std::string>();
                return !url.empty() && url.rfind("https://", 0) != 0;
              },
              "must start with https:// (TLS is always used)")
          .text("school_id", &M::school_id, "the school's id at the aggregator")
          .required()
          .text("token_env", &M::token_env,
                "environment variable holding the bearer token (or set `auth`)")
          .path("token_file", &M::token_file,
                "file holding the bearer token (mode 0600), when token_env is not used")
          .custom(
              std::string(kAuthField.key), FieldType::Object, std::string(kAuthField.description),
              [](M& c, const nlohmann::json& v, const SettingScope& scope) {
                c.auth = AuthConfig::fromJson(v, scope.path, scope.base_dir, scope.context);
              },
              nlohmann::json{{"type", "none"}})
          .path("ca_file", &M::ca_file,
                "PEM bundle that signs the API's certificate (empty: the system's trusted CAs)")
          // The client certificate's four keys are read together (ClientCertificateConfig),
          // after the table: the rows make them known and documented.
          .custom(std::string(kClientCertField.key), FieldType::String,
                  std::string(kClientCertField.description), nothing, "")
          .custom(std::string(kClientKeyField.key), FieldType::String,
                  std::string(kClientKeyField.description), nothing, "")
          .custom(std::string(kClientKeyPassphraseEnvField.key), FieldType::String,
                  std::string(kClientKeyPassphraseEnvField.description), nothing, "")
          .custom(std::string(kClientKeyPassphraseFileField.key), FieldType::String,
                  std::string(kClientKeyPassphraseFileField.description), nothing, "")
          .custom(
              "fields", FieldType::Object,
              "dotted paths into each item, e.g. {\"code\": \"attendance_code.data.code\"}; keys "
              "upn, mis_id, forename, surname, date, session, code, updated_at, admission_date, "
              "leaving_date (the admission register: a student with an admission date is on roll "
              "from it to the leaving date, or still on roll when it is null)",
              [](M& c, const nlohmann::json& v, const SettingScope& scope) {
                readFieldPaths(c.fields, v, &scope);
              },
              nlohmann::json::object())
          .text("preset", &M::preset,
                "a known API shape whose `fields` and `include` are filled in: \"wonde\" (UPN "
                "from student.data.education_details.data.upn); `fields` and `include` set "
                "beside it win")
          .refuse(
              [](const nlohmann::json& v) {
                auto name = v.get<std::string>();
                return !name.empty() && !misPreset(name);
              },
              "must be \"wonde\" (or left out and `fields` set)")
          .text("include", &M::include,
                "what the API is asked to include, comma-separated (the \"wonde\" preset asks for "
                "student,student.education_details,attendance_code)")
          .text("since", &M::since,
                "updated_after for the first pull; later pulls start from the newest updated_at "
                "stored")
          .integer("max_attempts", &M::max_attempts,
                   "tries per page when the API answers 429/5xx or the connection fails", {1})
          .integer("retry_base_ms", &M::retry_base_ms,
                   "first backoff between tries (doubling, full jitter; Retry-After honoured)")
          .integer("timeout_ms", &M::timeout_ms, "per request")
          .integer("priority", &M::priority,
                   "precedence when two sources disagree on a session (see sims_csv)")
          .custom(
              "code_map", FieldType::Object,
              "vendor code -> 2024 code, layered over the built-in legacy map",
              [](M& c, const nlohmann::json& v, const SettingScope& scope) {
                for (const auto& [k, code] : v.items()) {
                  if (code.is_string())
                    c.code_map[k] = code.get<std::string>();
                  else
                    scope.context.add(scope.path + "." + k, "must be a string", code.dump());
                }
              },
              nlohmann::json::object());
  return table;
}

}  // namespace

std::string MisRestConfig::describe() {
  return misRestTable().describe();
}

MisRestConfig MisRestConfig::fromJson(const nlohmann::json& json, const std::string& path,
                                      const std::filesystem::path& baseDir,
                                      const ConfigContext& context) {
  MisRestConfig c;
  misRestTable().apply(json, path, baseDir, context, c);
  bool hasToken = !c.token_env.empty() || !c.token_file.empty();
  if (json.is_object() && json.contains("auth")) {
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
  if (json.is_object())
    c.certificate = ClientCertificateConfig::fromJson(json, path, baseDir, context);
  // A preset fills `fields` and `include`; those set beside it win.
  if (auto preset = misPreset(c.preset)) {
    c.fields = preset->fields;
    if (json.contains("fields") && json["fields"].is_object())
      readFieldPaths(c.fields, json["fields"], nullptr);
    if (!json.contains("include")) c.include = preset->include;
  }
  if (!isNameList(c.include))
    context.add(path + ".include",
                "must be names separated by commas, e.g. \"student,student.education_details,"
                "attendance_code\" (letters, digits, _ and . only)",
                c.include);
  return c;
}

}  // namespace markbridge

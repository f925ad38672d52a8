#include "core/app/deployment_config.h"

#include <map>
#include <set>

#include "core/domain/config_table.h"
#include "core/domain/json_file.h"

namespace markbridge {
namespace {

// What a school inherits from the top level when it leaves the setting out.
const std::vector<std::string> kShared = {"sinks", "delivery", "schedule", "store", "log_level"};
// What each school must say for itself.
const std::vector<std::string> kOwn = {"school", "calendar", "sources", "rules"};

std::string textAt(const nlohmann::json& json, const char* key) {
  auto it = json.is_object() ? json.find(key) : json.end();
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string withUrn(std::string path, const std::string& urn) {
  for (auto at = path.find("{urn}"); at != std::string::npos; at = path.find("{urn}", at))
    path.replace(at, 5, urn);
  return path;
}

// The store a school gets: its own, else the shared one (its "{urn}" filled in), else SQLite at
// stores/<URN>.db. Sets `defaulted` for the last.
nlohmann::json storeOf(const nlohmann::json& school, const nlohmann::json& root,
                       const std::string& urn, bool& defaulted) {
  nlohmann::json store = school.contains("store") ? school["store"]
                         : root.contains("store") ? root["store"]
                                                  : nlohmann::json::object();
  if (!store.is_object()) return store;  // refused by the store's table
  if (store.contains("sqlite") && store["sqlite"].is_string())
    store["sqlite"] = withUrn(store["sqlite"].get<std::string>(), urn);
  else if (!store.contains("postgresql") && !store.contains("sqlite")) {
    store["sqlite"] = "stores/" + (urn.empty() ? std::string("school") : urn) + ".db";
    defaulted = true;
  }
  return store;
}

// A problem found under a school's inherited setting is the top-level setting's: say so once.
void keepProblem(Problem p, const std::string& at, const std::set<std::string>& inherited,
                 std::vector<Problem>& problems) {
  for (const auto& key : inherited) {
    std::string prefix = at + "." + key;
    if (p.location == prefix || p.location.starts_with(prefix + ".") ||
        p.location.starts_with(prefix + "[")) {
      p.location = "$." + key + p.location.substr(prefix.size());
      break;
    }
  }
  for (const auto& q : problems)
    if (q.location == p.location && q.message == p.message && q.value == p.value) return;
  problems.push_back(std::move(p));
}

// An LA portal's address and credentials are one LA's: a school of another LA sending to it
// would notify the wrong authority with the wrong authority's secret.
void checkLaPortals(const std::vector<GatewayConfig>& schools, const ConfigContext& context) {
  struct Use {
    std::string la, urn, path;
  };
  std::map<std::string, Use> seen;  // "what: value" -> its first use
  for (const auto& school : schools)
    for (std::size_t k = 0; k < school.sinks.size(); ++k) {
      const auto& sink = school.sinks[k];
      if (textAt(sink, "type") != "la_portal") continue;
      std::string path = school.sinks_path + "[" + std::to_string(k) + "]";
      std::vector<std::string> marks;
      if (auto url = textAt(sink, "base_url"); !url.empty()) marks.push_back("base_url " + url);
      for (const char* key : {"client_key"})
        if (auto v = textAt(sink, key); !v.empty()) marks.push_back(std::string(key) + " " + v);
      if (sink.contains("auth"))
        for (const char* key :
             {"token_env", "token_file", "client_secret_env", "client_secret_file", "key_file"})
          if (auto v = textAt(sink["auth"], key); !v.empty())
            marks.push_back("auth." + std::string(key) + " " + v);
      for (const auto& mark : marks) {
        auto [first, fresh] = seen.emplace(mark, Use{school.school.la, school.school.urn, path});
        if (fresh || first->second.la == school.school.la) continue;
        context.add(path,
                    "an LA portal sink is one LA's: school " + school.school.urn + " (LA " +
                        school.school.la + ") and school " + first->second.urn + " (LA " +
                        first->second.la + ", " + first->second.path + ") would share its " +
                        mark.substr(0, mark.find(' ')) +
                        "; give each LA's schools their own la_portal sink in their `sinks`",
                    mark.substr(mark.find(' ') + 1));
      }
    }
}

std::vector<GatewayConfig> schoolsFromJson(const std::filesystem::path& file,
                                           const nlohmann::json& root,
                                           std::vector<Problem>& problems) {
  ConfigContext context{file.string(), &problems};
  auto baseDir = std::filesystem::absolute(file).parent_path();
  std::vector<GatewayConfig> schools;
  std::vector<std::string> known = {"schools", "service"};
  known.insert(known.end(), kShared.begin(), kShared.end());
  for (const auto& key : kOwn)
    if (root.contains(key))
      context.add("$." + key,
                  "belongs in each school of `schools` (a trust's configuration: docs/trusts.md)");
  nlohmann::json rest = root;
  for (const auto& key : kOwn) rest.erase(key);
  reportUnknownKeys(rest, known, "$", context);
  const auto& list = root["schools"];
  if (!list.is_array() || list.empty()) {
    context.add("$.schools", "must be a list of at least one school: [{\"school\": {...}, ...}]");
    return schools;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string at = "$.schools[" + std::to_string(i) + "]";
    const auto& own = list[i];
    if (!own.is_object()) {
      context.add(at, "must be an object: {\"school\": {...}, \"calendar\": ..., ...}");
      continue;
    }
    nlohmann::json merged = own;
    std::set<std::string> inherited;
    if (own.contains("service")) {
      context.add(at + ".service",
                  "the service (admin API, log file, console) is one for every school: set it at "
                  "the top level");
      merged.erase("service");
    }
    for (const auto& key : kShared)
      if (!own.contains(key) && root.contains(key)) {
        merged[key] = root[key];
        inherited.insert(key);
      }
    if (root.contains("service")) {
      merged["service"] = root["service"];
      inherited.insert("service");
    }
    std::string urn = own.contains("school") ? textAt(own["school"], "urn") : "";
    bool defaulted = false;
    merged["store"] = storeOf(own, root, urn, defaulted);
    GatewayConfig config;
    config.file = file;
    config.base_dir = baseDir;
    std::vector<Problem> found;
    fillGatewayConfig(config, merged, at, ConfigContext{file.string(), &found});
    for (auto& p : found) keepProblem(std::move(p), at, inherited, problems);
    config.sinks_path = inherited.count("sinks") ? "$.sinks" : at + ".sinks";
    config.make_store_folder = defaulted;
    // Two schools of a trust share destinations (an LA portal), and a pupil on both rolls (dual
    // registration) has the same event ids in each: each school's keys begin with its URN.
    config.key_scope = urn + ":";
    // PostgreSQL keys the school's rows by URN, and its sync lease (core/store/sync_lease.h) is
    // the school's own, so one school's sync never waits for another's. The path is where the
    // school's local files go (a `sync --dry-run` copy), not its store.
    if (!config.store_postgresql.empty() && !urn.empty()) {
      config.store_path = baseDir / "stores" / (urn + ".db");
      config.make_store_folder = true;
    }
    schools.push_back(std::move(config));
  }
  // What no single school can check.
  std::map<std::string, std::size_t> urns;
  std::map<std::string, std::size_t> files;
  for (std::size_t i = 0; i < schools.size(); ++i) {
    const auto& s = schools[i];
    if (s.school.urn.empty()) continue;  // reported as required
    if (auto [first, fresh] = urns.emplace(s.school.urn, i); !fresh)
      context.add(s.json_path + ".school.urn",
                  "another school has this URN: " + schools[first->second].json_path +
                      " (each school once)",
                  s.school.urn);
    if (!s.store_postgresql.empty()) continue;
    std::error_code error;
    auto canonical = std::filesystem::weakly_canonical(s.store_path, error).string();
    if (auto [first, fresh] = files.emplace(canonical, i); !fresh)
      context.add(s.json_path + ".store.sqlite",
                  "school " + schools[first->second].school.urn +
                      " uses this store file too: each school needs its own (leave `store` out "
                      "for stores/<URN>.db, or put {urn} in the shared path)",
                  s.store_path.string());
  }
  checkLaPortals(schools, context);
  return schools;
}

}  // namespace

std::vector<std::string> Deployment::urns() const {
  std::vector<std::string> all;
  for (const auto& s : schools) all.push_back(s.school.urn);
  return all;
}

const GatewayConfig* Deployment::school(const std::string& urn) const {
  for (const auto& s : schools)
    if (s.school.urn == urn) return &s;
  return nullptr;
}

std::string urnList(const std::vector<std::string>& urns) {
  std::string text;
  for (std::size_t i = 0; i < urns.size(); ++i)
    text += (i == 0 ? "" : i + 1 == urns.size() ? " and " : ", ") + urns[i];
  return text;
}

Deployment loadDeployment(const std::filesystem::path& file, std::vector<Problem>& problems) {
  Deployment deployment;
  deployment.file = file;
  auto json = readJsonFile(file, "configuration file", problems);
  if (!json) return deployment;
  if (json->is_object() && json->contains("schools")) {
    deployment.many = true;
    deployment.schools = schoolsFromJson(file, *json, problems);
    return deployment;
  }
  GatewayConfig config;
  config.file = file;
  config.base_dir = std::filesystem::absolute(file).parent_path();
  fillGatewayConfig(config, *json, "$", ConfigContext{file.string(), &problems});
  deployment.schools.push_back(std::move(config));
  return deployment;
}

GatewayConfig schoolOfDeployment(const std::filesystem::path& file, const nlohmann::json& json,
                                 const std::string& urn, std::vector<Problem>& problems) {
  auto schools = schoolsFromJson(file, json, problems);
  std::vector<std::string> urns;
  for (auto& s : schools) {
    if (!urn.empty() && s.school.urn == urn) return std::move(s);
    urns.push_back(s.school.urn);
  }
  ConfigContext context{file.string(), &problems};
  if (problems.empty())
    context.add("$.schools",
                urn.empty() ? "holds " + std::to_string(urns.size()) +
                                  " schools: name one with --school URN (" + urnList(urns) + ")"
                            : "has no school with this URN; its schools are " + urnList(urns),
                urn);
  GatewayConfig none;
  none.file = file;
  none.base_dir = std::filesystem::absolute(file).parent_path();
  return none;
}

}  // namespace markbridge

#pragma once
// A client of the web console over real HTTPS (the development CA): requests with cookies,
// logging in through the login form with its CSRF token. For tests/integration/console_*.

#include <sys/types.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "connectors/common/https_client.h"
#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"
#include "core/domain/upn.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

// `upn` with its first character replaced by the check letter its other twelve call for.
inline std::string validUpn(std::string upn) {
  upn[0] = upnCheckLetter(upn);
  return upn;
}

// The admin API with the web console over TLS (the development certificate), port 0, the users
// file `users` and the JSON log beside the configuration: every console test's `service`.
inline nlohmann::json consoleService() {
  auto certs = certsDir();
  return {{"admin_port", 0},
          {"port_file", "admin.port"},
          {"admin_token_env", "MB_ADMIN_TOKEN"},
          {"admin_cert", certs + "/server.pem"},
          {"admin_key", certs + "/server.key"},
          {"console_users_file", "users"},
          {"log_file", "markbridge.jsonl"}};
}

// The console's audit log, a JSON object per line; `all` gets the text (for a failure message).
inline std::vector<nlohmann::json> auditLines(const std::filesystem::path& file, std::string& all) {
  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(nlohmann::json::parse(line));
    all += line + "\n";
  }
  return lines;
}

struct ConsoleAnswer {
  int status = 0;
  std::string body, cookie, location;
};

struct ConsoleClient {
  int port = 0;  // the admin API's

  ConsoleAnswer send(const std::string& method, const std::string& path,
                     const std::string& body = "", const std::string& cookies = "",
                     const std::string& bearer = "") const {
    HttpsClient client("https://127.0.0.1:" + std::to_string(port),
                       TlsSettings{certsDir() + "/ca.pem", "", "", ""}, 30000);
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    if (!cookies.empty()) r.headers["Cookie"] = cookies;
    if (!bearer.empty()) r.headers["Authorization"] = bearer;
    auto response = client.send(r);
    ConsoleAnswer a{response.status, response.body, "", ""};
    if (auto c = response.headers.find("set-cookie"); c != response.headers.end())
      a.cookie = c->second;
    if (auto l = response.headers.find("location"); l != response.headers.end())
      a.location = l->second;
    return a;
  }
  static std::string cookieValue(const std::string& setCookie) {
    auto eq = setCookie.find('='), semi = setCookie.find(';');
    return setCookie.substr(eq + 1, semi - eq - 1);
  }
  static std::string csrfIn(const std::string& page) {
    std::smatch m;
    static const std::regex token("name=\"csrf\" value=\"([0-9a-f]{64})\"");
    return std::regex_search(page, m, token) ? m[1].str() : "";
  }
  ConsoleAnswer postLogin(const std::string& name, const std::string& password) const {
    auto form = send("GET", "/console/login");
    return send("POST", "/console/login",
                "csrf=" + csrfIn(form.body) + "&name=" + name + "&password=" + password,
                "mb_login=" + cookieValue(form.cookie));
  }
  // Logs in; the session cookie ("mb_session=...") and its CSRF token.
  std::pair<std::string, std::string> login(const std::string& name,
                                            const std::string& password) const {
    auto answer = postLogin(name, password);
    EXPECT_EQ(answer.status, 303) << answer.body;
    std::string session = "mb_session=" + cookieValue(answer.cookie);
    return {session, csrfIn(send("GET", "/console/", "", session).body)};
  }

  // Starts the real `markbridge run` in `dir` (register.csv and calendar.json written by the
  // test) over HTTPS with the console on, its one sink `sink`, and these users, each
  // {name, role, password}: the service's pid; `port` is then its admin port. The log is
  // dir/service.out. `more` is merged into the configuration (a JSON merge patch) and `env`
  // into the service's environment.
  struct User {
    std::string name;
    ConsoleRole role;
    std::string password;
  };
  pid_t startService(const TempDir& dir, const nlohmann::json& sink, const std::vector<User>& users,
                     const nlohmann::json& more = nlohmann::json::object(),
                     const std::map<std::string, std::string>& env = {}) {
    auto config = schoolConfig(
        {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
         {"sinks", nlohmann::json::array({sink})},
         {"service", consoleService()}});
    config.merge_patch(more);
    dir.write("markbridge.json", config.dump(2));
    // A cheap cost keeps the test quick; the service reads each hash's cost from the hash.
    ScryptCost cheap{1024, 8, 1};
    std::vector<ConsoleUser> hashed;
    hashed.reserve(users.size());
    for (const auto& u : users) hashed.push_back({u.name, u.role, hashPassword(u.password, cheap)});
    writeConsoleUsers(dir / "users", hashed);
    std::map<std::string, std::string> environment = env;
    environment["MB_LA_TOKEN"] = "la-sandbox-token";
    environment["MB_ADMIN_TOKEN"] = "admin-secret";
    pid_t pid = spawnMarkbridge({"run", "--config", "markbridge.json"}, environment, dir.path(),
                                dir / "service.out", dir / "service.out");
    EXPECT_TRUE(waitUntil([&] { return std::filesystem::exists(dir / "admin.port"); }))
        << "the service did not start; see " << (dir / "service.out").string();
    std::ifstream(dir / "admin.port") >> port;
    return pid;
  }
};

}  // namespace markbridge::test

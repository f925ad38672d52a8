#pragma once
// A client of the web console over real HTTPS (the development CA): requests with cookies,
// logging in through the login form with its CSRF token. For tests/integration/console_*.

#include <regex>
#include <string>
#include <utility>

#include "connectors/common/https_client.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

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
};

}  // namespace markbridge::test

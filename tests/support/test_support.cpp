#include "tests/support/test_support.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

namespace markbridge::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("markbridge-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
  auto file = path_ / name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

Date d(const char* iso) {
  return *Date::parseIso(iso);
}

nlohmann::json schoolConfig(const nlohmann::json& more) {
  nlohmann::json config = {
      {"school", {{"urn", "140000"}, {"la", "801"}, {"estab", "4000"}, {"name", "Test School"}}},
      {"store", {{"sqlite", "register.db"}}},
      {"calendar", "calendar.json"}};
  config.update(more);
  return config;
}

nlohmann::json laSink(const std::string& baseUrl) {
  return {{"name", "la"},
          {"type", "la_portal"},
          {"base_url", baseUrl},
          {"ca_file", certsDir() + "/ca.pem"},
          {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}};
}

nlohmann::json cpomsSink(const std::string& baseUrl, const std::string& keyEnv) {
  return {{"name", "cpoms"},
          {"type", "cpoms"},
          {"base_url", baseUrl},
          {"ca_file", certsDir() + "/ca.pem"},
          {"auth", {{"type", "api_key"}, {"key_env", keyEnv}}}};
}

std::string autumnCalendarJson() {
  return R"({
    "name": "test calendar",
    "terms": [{"name": "Autumn", "start": "2024-09-02", "end": "2024-12-20"},
              {"name": "Spring", "start": "2025-01-06", "end": "2025-04-04"}],
    "holidays": [{"name": "Autumn half term", "start": "2024-10-28", "end": "2024-11-01"},
                 {"name": "Spring half term", "start": "2025-02-17", "end": "2025-02-21"}],
    "inset_days": ["2024-09-02"],
    "closures": [{"date": "2024-12-20", "reason": "planned closure"}]
  })";
}

SchoolCalendar autumnCalendar() {
  return SchoolCalendar::fromJson(nlohmann::json::parse(autumnCalendarJson()), "test");
}

Mark mark(const std::string& upn, Date day, Session s, const char* code) {
  Mark m;
  m.upn = upn;
  m.date = day;
  m.session = s;
  m.code = *Code::fromString(code);
  m.source = "test";
  m.source_code = code;
  return m;
}

void addDays(std::vector<Mark>& marks, const std::string& upn, const std::vector<Date>& days,
             const char* am, const char* pm) {
  for (Date day : days) {
    marks.push_back(mark(upn, day, Session::AM, am));
    marks.push_back(mark(upn, day, Session::PM, pm));
  }
}

namespace {
std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

pid_t spawnMarkbridge(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      const std::filesystem::path& cwd, const std::filesystem::path& outFile,
                      const std::filesystem::path& errFile) {
  // Everything the child needs is made before fork(): the test process has threads (the
  // sandbox), and between fork and exec only async-signal-safe calls are safe (no malloc, no
  // setenv), or the child can hang on a lock another thread held.
  std::string binary = MB_BINARY;
  std::vector<std::string> argStrings = args, envStrings;
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  for (const auto& [k, v] : merged) envStrings.push_back(k + "=" + v);
  std::vector<char*> argv{binary.data()}, envp;
  for (auto& a : argStrings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string dir = cwd.string(), out = outFile.string(), err = errFile.string();
  int flags = O_WRONLY | O_CREAT | (outFile == errFile ? O_APPEND : O_TRUNC);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    int o = ::open(out.c_str(), flags, 0600);
    int e = outFile == errFile ? o : ::open(err.c_str(), flags, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (auto pause = std::chrono::milliseconds(1);;
       pause = std::min(pause * 2, decltype(pause)(50))) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= until) return condition();
    std::this_thread::sleep_for(pause);  // the poll interval, growing to 50 ms
  }
}

RunResult runMarkbridge(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
                        const std::filesystem::path& cwd, int hangAfterMs) {
  auto outFile = cwd / ".stdout", errFile = cwd / ".stderr";
  pid_t pid = spawnMarkbridge(args, env, cwd, outFile, errFile);
  int status = 0;
  if (hangAfterMs > 0) {
    bool ended = waitUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; },
                           std::chrono::milliseconds(hangAfterMs));
    if (!ended) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  } else {
    ::waitpid(pid, &status, 0);
  }
  RunResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = slurp(outFile);
  result.err = slurp(errFile);
  return result;
}

std::string certsDir() {
  return MB_CERTS_DIR;
}
nlohmann::json docExample(const std::string& heading) {
  std::ifstream in(sourceDir() + "/docs/connectors.md");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("\n" + heading + "\n");
  if (at == std::string::npos) return nullptr;
  auto open = text.find("```json\n", at);
  auto close = text.find("\n```", open);
  if (open == std::string::npos || close == std::string::npos) return nullptr;
  return nlohmann::json::parse(text.substr(open + 8, close - open - 8), nullptr, false);
}

std::string sourceDir() {
  return MB_SOURCE_DIR;
}

std::string fixtureText(const std::string& relative) {
  auto path = sourceDir() + "/tests/fixtures/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("no fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::multiset<std::string> recordsFor(const std::vector<OutboxItem>& items,
                                      const std::string& keyScope) {
  std::multiset<std::string> expected;
  for (const auto& item : items) {
    auto type = nlohmann::json::parse(item.payload).value("type", "");
    const auto key = keyScope + item.key;
    if (item.sink == "la") {
      expected.insert("notification|" + key);
    } else if (item.kind != OutboxKind::Notify) {
      expected.insert("note|" + key);
    } else {
      expected.insert("incident|" + key + "/incident");
      if (type == "task") expected.insert("action|" + key + "/action");
      // A note, or the school's note that the LA accepted a notification (la_notice).
      if (type == "note" || type == "la_notice") expected.insert("note|" + key + "/note");
    }
  }
  return expected;
}

std::multiset<std::string> recordsAt(const sandbox::SandboxServer& server) {
  std::multiset<std::string> got;
  for (const auto& r : server.received()) got.insert(r.kind + "|" + r.idempotency_key);
  return got;
}

std::unique_ptr<sandbox::SandboxServer> startSandbox(
    const std::string& cert, const std::function<void(sandbox::SandboxOptions&)>& tune) {
  sandbox::SandboxOptions options;
  options.cert_file = certsDir() + "/" + cert + ".pem";
  options.key_file = certsDir() + "/" + cert + ".key";
  if (tune) tune(options);
  auto server = std::make_unique<sandbox::SandboxServer>(options);
  server->start();
  return server;
}

}  // namespace markbridge::test

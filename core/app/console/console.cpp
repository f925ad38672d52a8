#include "core/app/console/console.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <istream>
#include <map>
#include <mutex>
#include <regex>
#include <semaphore>
#include <thread>

#include "core/app/admin_api.h"
#include "core/app/backtest.h"
#include "core/app/command_support.h"
#include "core/app/console/console_audit.h"
#include "core/app/console/console_backtest.h"
#include "core/app/console/console_figures.h"
#include "core/app/console/console_html.h"
#include "core/app/console/console_pages.h"
#include "core/app/console/console_pupils.h"
#include "core/app/console/console_report.h"
#include "core/app/console/console_schools.h"
#include "core/app/console/console_sessions.h"
#include "core/app/console/password_hash.h"
#include "core/app/service.h"
#include "core/domain/logging.h"
#include "schedules/london_time.h"

namespace markbridge {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

bool isLoopbackAddress(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

namespace {

constexpr const char* kSessionCookie = "mb_session";
constexpr const char* kLoginCookie = "mb_login";  // the login form's CSRF token (double submit)
constexpr std::size_t kMaxForm = 8192;

std::string cookie(const std::string& name, const std::string& value, bool expire = false) {
  return name + "=" + value + "; Path=/console; HttpOnly; Secure; SameSite=Strict" +
         (expire ? "; Max-Age=0" : "");
}

// application/x-www-form-urlencoded, at most kMaxForm bytes; nothing when longer or cut short.
std::optional<std::map<std::string, std::string>> readForm(HTTPServerRequest& request) {
  auto length = request.getContentLength64();
  if (length < 0 || static_cast<uint64_t>(length) > kMaxForm) return std::nullopt;
  std::string body(static_cast<std::size_t>(length), '\0');
  // The whole body within one deadline (admin_api.cpp's kBodyDeadline cuts a trickling client).
  request.stream().read(body.data(), static_cast<std::streamsize>(body.size()));
  bool whole = request.stream().gcount() == length;
  requestBodyRead();
  if (!whole) return std::nullopt;
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    auto pair = body.substr(start, end - start);
    auto eq = pair.find('=');
    auto decode = [](std::string text) {
      std::replace(text.begin(), text.end(), '+', ' ');
      std::string out;
      Poco::URI::decode(text, out);
      return out;
    };
    if (!pair.empty())
      form[decode(pair.substr(0, eq))] =
          eq == std::string::npos ? std::string() : decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return form;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

struct Console::Impl {
  Service& service;
  std::filesystem::path users_file;
  bool tls = false;
  bool servable = false;  // TLS, or bound to a loopback address
  ConsoleAudit audit;
  std::mutex mutex;  // sessions and throttle
  SessionBook sessions;
  LoginThrottle throttle;
  std::atomic<bool> users_unreadable{false};  // warned once until it can be read again
  std::string dummy_hash;  // checked for an unknown name, so it costs what a known one does
  static constexpr std::ptrdiff_t kVerifying = 2;  // passwords checked at once
  std::counting_semaphore<> verifying{kVerifying};

  SchoolFigures figures;  // each school's pupils-at-risk figures (console_figures.h)

  // The Backtest page's results (console_backtest.h): one per form combination, kept until the
  // next sync or reload of the configuration, at most kBacktestCache of them (the oldest
  // dropped). A register of more than `backtest_inline_pupils` pupils is replayed on a worker
  // thread, one backtest at a time (given up when the service stops), while the page says it is
  // running; a smaller one in the request (1,500 pupils take well under a second).
  struct BacktestRun {
    std::string version;
    std::shared_ptr<const BacktestResult> result, other;
    int64_t finished_at = 0;
  };
  static constexpr std::size_t kBacktestCache = 8;
  int backtest_inline_pupils = 5000;
  std::mutex backtest_mutex;  // the members below
  std::map<std::string, BacktestRun> backtests;
  std::string backtest_running;  // the key of the run under way, empty when none
  int64_t backtest_started = 0;
  std::thread backtest_worker;
  std::atomic<bool> backtest_cancel{false};  // the service is stopping: the worker gives up
  std::shared_ptr<const GatewayConfig> choices_config;
  std::shared_ptr<const std::vector<BacktestChoice>> choices;

  Impl(Service& s, const ServiceConfig& c, const std::filesystem::path& baseDir)
      : service(s),
        users_file(c.console_users_file),
        tls(!c.admin_cert.empty()),
        servable(tls || isLoopbackAddress(c.admin_bind)),
        audit(c.console_audit_log.is_relative() ? baseDir / c.console_audit_log
                                                : c.console_audit_log),
        dummy_hash(hashPassword(randomToken())),
        figures(s) {
    // Only for tests and tuning: the register size above which a backtest runs in the background.
    if (const char* limit = std::getenv("MARKBRIDGE_CONSOLE_BACKTEST_INLINE_PUPILS"))
      backtest_inline_pupils = std::atoi(limit);
  }

  int64_t now() { return service.clock().nowMs(); }
  // The school's name ("" = the first school's; "" for a URN not served).
  std::string schoolName(const std::string& urn = "") {
    auto config = service.config(urn);
    return config ? config->school.name : "";
  }
  // The school a request asks for (`school=URN`), the first served when it names none; nothing
  // for a URN the service does not serve, or a query that cannot be read.
  std::optional<std::string> schoolAsked(const Poco::URI& uri) {
    std::string asked;
    try {
      for (const auto& [key, value] : uri.getQueryParameters())
        if (key == "school") {
          asked = value;
          break;
        }
    } catch (const Poco::Exception&) {
      return std::nullopt;  // a percent sign not followed by two hex digits
    }
    auto config = service.config(asked);
    if (!config) return std::nullopt;
    return config->school.urn;
  }
  // Every school served, in the configuration's order.
  std::vector<ServedSchool> allSchools() {
    std::vector<ServedSchool> all;
    for (const auto& urn : service.schools())
      if (auto config = service.config(urn)) all.push_back({urn, config->school.name});
    return all;
  }
  // A trust's schools, for the switcher; none for a single school's console.
  std::vector<ServedSchool> servedSchools() {
    return service.manySchools() ? allSchools() : std::vector<ServedSchool>{};
  }
  // The URN a link or redirect keeps: a trust's school's; none for a single school's console.
  std::string kept(const std::string& urn) { return service.manySchools() ? urn : ""; }

  void send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& body,
            const std::string& type = "text/html; charset=utf-8") {
    response.setStatusAndReason(status);
    response.setContentType(type);
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Frame-Options", "DENY");
    response.set("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'");
    if (tls) response.set("Strict-Transport-Security", "max-age=31536000");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }
  void redirect(HTTPServerResponse& response, const std::string& to) {
    response.set("Location", to);
    send(response, HTTPResponse::HTTP_SEE_OTHER, "");
  }
  // False (and a warning in the service log) when the line could not be written.
  bool record(const HTTPServerRequest& request, const std::string& urn, const std::string& user,
              const std::string& role, const std::string& action, const std::string& target,
              const std::string& outcome) {
    if (audit.record(
            {user, role, request.clientAddress().host().toString(), action, target, outcome, urn},
            now()))
      return true;
    namedLogger("console")->warn("cannot write the console audit log {}", audit.file().string());
    return false;
  }
  // A line about what `viewer` did at the school they are looking at.
  bool record(const HTTPServerRequest& request, const ConsoleViewer& viewer,
              const std::string& action, const std::string& target, const std::string& outcome) {
    return record(request, viewer.school, viewer.user, std::string(toString(viewer.role)), action,
                  target, outcome);
  }

  // Refusals of requests with no session (anyone can send them): at most one audit line a minute
  // per address, which counts the ones left out since, so the log cannot be flooded.
  struct Quiet {
    int64_t since = 0;
    int left_out = 0;
  };
  std::map<std::string, Quiet> quiet;  // under `mutex`
  void recordAnonymous(const HTTPServerRequest& request, const std::string& urn,
                       const std::string& target, const std::string& outcome) {
    std::string address = request.clientAddress().host().toString();
    int leftOut = 0;
    {
      std::lock_guard lock(mutex);
      if (quiet.size() > 10000) quiet.clear();
      auto& q = quiet[address];
      if (q.since && now() - q.since < 60'000) {
        ++q.left_out;
        return;
      }
      leftOut = q.left_out;
      q = Quiet{now(), 0};
    }
    record(request, urn, "", "", "refused", target,
           outcome + (leftOut ? " (and " + std::to_string(leftOut) +
                                    " more from this address in the minute before)"
                              : ""));
  }

  std::optional<ConsoleUser> findUser(const std::string& name) {
    for (auto& u : readConsoleUsers(users_file))
      if (u.name == name) return u;
    return std::nullopt;
  }

  ~Impl() {
    std::thread backtesting;
    backtest_cancel = true;
    {
      std::lock_guard lock(backtest_mutex);
      backtesting = std::move(backtest_worker);
    }
    if (backtesting.joinable()) backtesting.join();
  }

  PageFrame frameFor(const ConsoleViewer& viewer, const std::string& title,
                     const std::string& current) {
    return pageFrame(viewer, title, schoolName(viewer.school), current);
  }
  void pupils(HTTPServerRequest& request, HTTPServerResponse& response, const ConsoleViewer& viewer,
              const std::string& path, const Poco::URI& uri);

  void backtest(HTTPServerRequest& request, HTTPServerResponse& response,
                const ConsoleViewer& viewer, const Poco::URI& uri);
  std::string backtestVersion(const std::shared_ptr<const GatewayConfig>& config);
  void schools(HTTPServerRequest& request, HTTPServerResponse& response,
               const ConsoleViewer& viewer);
  void keepBacktest(const std::string& key, BacktestRun run);

  void login(HTTPServerRequest& request, HTTPServerResponse& response);
  void serve(HTTPServerRequest& request, HTTPServerResponse& response, const std::string& id);
  void outboxAction(HTTPServerRequest& request, HTTPServerResponse& response,
                    const ConsoleViewer& viewer, int64_t seq, const std::string& action);
};

void Console::Impl::login(HTTPServerRequest& request, HTTPServerResponse& response) {
  Poco::Net::NameValueCollection cookies;
  request.getCookies(cookies);
  std::string address = request.clientAddress().host().toString();
  // The school asked for is kept through the login (and named by its audit lines); a URN not
  // served is forgotten here, before anyone is logged in.
  std::string urn = schoolAsked(Poco::URI(request.getURI())).value_or(service.config()->school.urn);
  auto fresh = [&](HTTPResponse::HTTPStatus status, const std::string& problem,
                   const std::string& name) {
    auto token = randomToken();
    response.add("Set-Cookie", cookie(kLoginCookie, token));
    send(response, status, loginPage(schoolName(urn), token, problem, name, kept(urn)));
  };
  if (request.getMethod() == "GET") return fresh(HTTPResponse::HTTP_OK, "", "");
  auto form = readForm(request);
  if (!form) return fresh(HTTPResponse::HTTP_BAD_REQUEST, "That form was too large.", "");
  std::string name = (*form)["name"], password = (*form)["password"];
  if (!sameToken((*form)["csrf"], cookies.get(kLoginCookie, ""))) {
    recordAnonymous(request, urn, "/console/login", "no valid CSRF token");
    return fresh(HTTPResponse::HTTP_FORBIDDEN,
                 "The form had expired or came from elsewhere: please log in again.", name);
  }
  // A user name is at most 64 characters: a longer one is throttled by its first 65 (so a stream
  // of long made-up names cannot fill the service's memory).
  std::string key = lower(name.substr(0, 65));
  auto tooMany = [&] {
    record(request, urn, name, "", "login_throttled", "/console/login", "too many failures");
    return fresh(HTTPResponse::HTTP_TOO_MANY_REQUESTS,
                 "Too many failed logins for this name or from this computer: wait 15 minutes "
                 "and try again, or ask the IT technician.",
                 name);
  };
  {
    // Counted as failed before the password is checked, under the same lock: parallel guesses
    // cannot all pass the throttle while the first are being verified. Undone on success.
    std::lock_guard lock(mutex);
    if (!throttle.allowed(key, address, now())) return tooMany();
    throttle.failed(key, address, now());
  }
  // At most kVerifying passwords checked at once (each costs ~0.1-0.3 s of a core and 32 MiB):
  // the rest wait a little, then get 429.
  if (!verifying.try_acquire_for(std::chrono::seconds(2))) {
    std::lock_guard lock(mutex);
    throttle.undo(key, address);
    record(request, urn, name, "", "login_throttled", "/console/login", "too many logins at once");
    return fresh(HTTPResponse::HTTP_TOO_MANY_REQUESTS,
                 "Too many logins at once: wait a few seconds and try again.", name);
  }
  struct Release {
    std::counting_semaphore<>& s;
    ~Release() { s.release(); }
  } release{verifying};
  std::optional<ConsoleUser> user;
  try {
    user = findUser(name);
  } catch (const std::exception& error) {
    namedLogger("console")->error("console login impossible: {}", error.what());
    {
      std::lock_guard lock(mutex);
      throttle.undo(key, address);
    }
    return fresh(HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                 "The console's users file cannot be read: the IT technician must fix it (the "
                 "service log says why).",
                 name);
  }
  bool ok = verifyPassword(password, user ? user->password_hash : dummy_hash) && user;
  std::lock_guard lock(mutex);
  if (!ok) {
    record(request, urn, name, "", "login_failed", "/console/login",
           "name or password not recognised");
    return fresh(HTTPResponse::HTTP_UNAUTHORIZED,
                 "That user name and password were not recognised.", name);
  }
  throttle.undo(key, address);
  throttle.succeeded(key);
  auto id =
      sessions.start(user->name, user->role, now(), credentialFingerprint(user->password_hash));
  record(request, urn, user->name, std::string(toString(user->role)), "login", "/console/login",
         "ok");
  response.add("Set-Cookie", cookie(kSessionCookie, id));
  redirect(response, withSchool("/console/", kept(urn)));
}

void Console::Impl::outboxAction(HTTPServerRequest& request, HTTPServerResponse& response,
                                 const ConsoleViewer& viewer, int64_t seq,
                                 const std::string& action) {
  std::string role(toString(viewer.role));
  std::string target = "outbox " + std::to_string(seq);
  if (!mayChange(viewer.role)) {
    record(request, viewer, "refused", target, action + ": the role may not");
    return send(
        response, HTTPResponse::HTTP_FORBIDDEN,
        messagePage(schoolName(viewer.school), "Not allowed",
                    "Your role (" + role + ") cannot retry or discard outbox items.", &viewer));
  }
  auto store = service.openStore(viewer.school);
  bool done = action == "retry"
                  ? store->retryOutbox(seq, now())
                  : store->discardOutbox(seq, now(), "discarded in the console by " + viewer.user);
  record(request, viewer, action, target, done ? "ok" : "not possible");
  if (done) figures.changed(viewer.school);
  if (done && action == "retry") service.outboxChanged();
  redirect(response, withSchool("/console/outbox?done=" + action + (done ? "" : "-none") +
                                    "&item=" + std::to_string(seq),
                                kept(viewer.school)));
}

void Console::Impl::serve(HTTPServerRequest& request, HTTPServerResponse& response,
                          const std::string& id) {
  Poco::URI uri(request.getURI());
  const std::string& path = uri.getPath();
  const std::string method = request.getMethod();
  std::optional<ConsoleSession> session;
  {
    std::lock_guard lock(mutex);
    session = sessions.touch(id, now());
  }
  if (session) {
    // A user removed, given another role or a new password since they logged in: their
    // sessions end.
    std::optional<ConsoleUser> user;
    try {
      user = findUser(session->user);
      users_unreadable = false;
    } catch (const std::exception& error) {
      // Everyone is logged out until the file can be read again: said once, not per request.
      if (!users_unreadable.exchange(true))
        namedLogger("console")->warn(
            "the console's users file cannot be read, so every session ends: {}", error.what());
    }
    if (!user || user->role != session->role ||
        credentialFingerprint(user->password_hash) != session->credential) {
      std::lock_guard lock(mutex);
      sessions.endUser(session->user);
      session.reset();
    }
  }
  auto asked = schoolAsked(uri);
  if (!session) {
    // Nobody logged in is told which schools there are: a URN not served is forgotten.
    std::string urn = asked.value_or(service.config()->school.urn);
    if (method == "POST") {
      recordAnonymous(request, urn, path, "no session");
      return send(
          response, HTTPResponse::HTTP_FORBIDDEN,
          messagePage(schoolName(urn), "Logged out",
                      "Your session has ended: log in again and repeat what you did.", nullptr));
    }
    return redirect(response, withSchool("/console/login", asked ? kept(*asked) : ""));
  }
  ConsoleViewer viewer{session->user, session->role, session->csrf, asked.value_or(""),
                       servedSchools()};
  if (!asked) {
    std::string named = "(not readable)";
    try {
      for (const auto& [key, value] : uri.getQueryParameters())
        if (key == "school") {
          named = value.substr(0, 20);
          break;
        }
    } catch (const Poco::Exception&) {
    }
    record(request, named, viewer.user, std::string(toString(viewer.role)), "refused", path,
           "no such school");
    return send(response, HTTPResponse::HTTP_NOT_FOUND, unknownSchoolPage(named, allSchools()));
  }
  if (method == "POST") {
    auto form = readForm(request);
    if (!form || !sameToken((*form)["csrf"], session->csrf)) {
      record(request, viewer, "refused", path, "no valid CSRF token");
      return send(response, HTTPResponse::HTTP_FORBIDDEN,
                  messagePage(schoolName(viewer.school), "Not done",
                              "That form had no valid token (it came from another page or an "
                              "old tab): nothing was changed.",
                              &viewer));
    }
    if (path == "/console/logout") {
      {
        std::lock_guard lock(mutex);
        sessions.end(id);
      }
      record(request, viewer, "logout", path, "ok");
      response.add("Set-Cookie", cookie(kSessionCookie, "", true));
      return redirect(response, withSchool("/console/login", kept(viewer.school)));
    }
    static const std::regex action(R"(^/console/outbox/([0-9]{1,18})/(retry|discard)$)");
    std::smatch match;
    if (std::regex_match(path, match, action))
      return outboxAction(request, response, viewer, std::stoll(match[1]), match[2]);
  } else if (method == "GET") {
    if (path == "/console/" || path == "/console") {
      record(request, viewer, "open", "/console/", "ok");
      auto store = service.openStore(viewer.school);
      return send(response, HTTPResponse::HTTP_OK, overviewPage(service, *store, viewer, now()));
    }
    if (path == "/console/outbox") {
      OutboxFilter filter;
      std::string done, item;
      for (const auto& [key, value] : uri.getQueryParameters()) {
        if (key == "state") filter.state = outboxStateFrom(value);
        if (key == "sink") filter.sink = value;
        if (key == "done") done = value;
        if (key == "item") item = std::to_string(std::atoll(value.c_str()));
      }
      std::string notice = done == "retry" ? "Item " + item +
                                                 " is back to pending, due now: the service "
                                                 "sends it within a few seconds."
                           : done == "discard" ? "Item " + item +
                                                     " is discarded: it will not be sent (Retry "
                                                     "brings it back; an attempt already under "
                                                     "way that the destination accepts ends "
                                                     "delivered)."
                           : done.ends_with("-none")
                               ? "Item " + item + " could not be changed: it was delivered " +
                                     "already or is no longer there."
                               : "";
      record(request, viewer, "open", "/console/outbox", "ok");
      auto store = service.openStore(viewer.school);
      return send(response, HTTPResponse::HTTP_OK,
                  outboxPage(service, *store, viewer, filter, notice, now()));
    }
    if (path == "/console/backtest") return backtest(request, response, viewer, uri);
    if (path == "/console/schools" && service.manySchools())
      return schools(request, response, viewer);
    if (path == "/console/pupils" || path.rfind("/console/pupils/", 0) == 0 ||
        path == "/console/report" || path == "/console/report.csv")
      return pupils(request, response, viewer, path, uri);
  }
  send(response, HTTPResponse::HTTP_NOT_FOUND,
       messagePage(schoolName(viewer.school), "Not found", "There is no such console page.",
                   &viewer));
}

void Console::Impl::pupils(HTTPServerRequest& request, HTTPServerResponse& response,
                           const ConsoleViewer& viewer, const std::string& path,
                           const Poco::URI& uri) {
  std::string role(toString(viewer.role));
  std::string id = path.size() > 16 ? path.substr(16) : "";
  if (!maySeePupils(viewer.role)) {
    // The target names no pupil: what was asked for may be a whole UPN.
    record(request, viewer, "refused",
           path.rfind("/console/report", 0) == 0 ? path
           : id.empty()                          ? "/console/pupils"
                                                 : "pupil page",
           "the role may not see pupils");
    return send(response, HTTPResponse::HTTP_FORBIDDEN,
                messagePage(schoolName(viewer.school), "Not allowed",
                            "Your role (" + role +
                                ") does not see pupils' names or registers: the pupil pages "
                                "and the weekly report are for the attendance officer, the DSL "
                                "and read-only users. "
                                "Ask one of them, or the person who runs the console's users "
                                "file, if you need them.",
                            &viewer));
  }
  try {
    // Nobody sees a pupil unless it is written down who did: with the audit log unwritable, the
    // pupil pages are closed.
    auto unaudited = [&] {
      return send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                  messagePage(schoolName(viewer.school), "Not available",
                              "The console's audit log cannot be written, and pupils are only "
                              "shown when who opened them is recorded. Ask the IT technician: "
                              "the service log names the file (disk full, permissions).",
                              &viewer));
    };
    if (path.rfind("/console/report", 0) == 0) {
      if (!record(request, viewer, "open", path, "ok")) return unaudited();
      auto [have, note] = figures.current(viewer.school);
      if (path.ends_with(".csv")) {
        // A trust's reports are told apart by their school's URN.
        std::string school = kept(viewer.school);
        response.set("Content-Disposition", "attachment; filename=\"weekly-report-" +
                                                (school.empty() ? "" : school + "-") +
                                                have.snapshot->as_of.iso() + ".csv\"");
        return send(response, HTTPResponse::HTTP_OK, reportCsv(*have.snapshot),
                    "text/csv; charset=utf-8");
      }
      return send(response, HTTPResponse::HTTP_OK,
                  reportPage(*have.snapshot, frameFor(viewer, "Weekly report", "report"), note));
    }
    if (id.empty()) {
      auto query = pupilQueryFrom(uri.getQueryParameters());
      // The list as filtered (who looked at the children on a CP plan is worth knowing).
      std::string target = "/console/pupils";
      for (const auto& [key, value] : queryParams(query))
        target += (target.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
      if (!record(request, viewer, "open", target, "ok")) return unaudited();
      auto [have, note] = figures.current(viewer.school);
      return send(
          response, HTTPResponse::HTTP_OK,
          pupilsPage(*have.snapshot, query, frameFor(viewer, "Pupils at risk", "pupils"), note));
    }
    // The path is decoded already: a UPN, or a masked UPN (letters, digits and dots).
    static const std::regex pupilId("^[A-Za-z0-9.]{1,20}$");
    std::optional<Pupil> pupil;
    std::unique_ptr<Store> store;
    if (std::regex_match(id, pupilId)) {
      store = service.openStore(viewer.school);
      pupil = findConsolePupil(*store, id);
    }
    if (!pupil) {
      if (!record(request, viewer, "open", "pupil page", "no such pupil")) return unaudited();
      return send(response, HTTPResponse::HTTP_NOT_FOUND,
                  messagePage(schoolName(viewer.school), "No such pupil",
                              "No pupil on the register has that UPN (or the masked UPN names "
                              "more than one: use the whole UPN).",
                              &viewer));
    }
    std::optional<Date> day;
    for (const auto& [key, value] : uri.getQueryParameters())
      if (key == "day") day = Date::parseIso(value);
    // Who opened which pupil, by UPN (never the name).
    if (!record(request, viewer, "open", "pupil " + pupil->upn, "ok")) return unaudited();
    auto config = service.config(viewer.school);
    auto calendar = figures.calendarFor(config);
    if (day && !calendar->covers(*day)) day.reset();
    return send(
        response, HTTPResponse::HTTP_OK,
        pupilPage(*store, *calendar, config->rules, *pupil, day, london::localDate(now() / 1000),
                  frameFor(viewer, pupil->forename + " " + pupil->surname, "pupils")));
  } catch (const std::exception& error) {
    namedLogger("console")->error("a console pupil page failed: {}", error.what());
    return send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                messagePage(schoolName(viewer.school), "Not available",
                            "The pupils' figures cannot be read just now (the service log says "
                            "why): try again in a minute.",
                            &viewer));
  }
}

// A result is good until the next sync (which may change the register and what was sent) or a
// reload (which may change the policies).
std::string Console::Impl::backtestVersion(const std::shared_ptr<const GatewayConfig>& config) {
  auto f = service.figures(config->school.urn);
  return std::to_string(reinterpret_cast<uintptr_t>(config.get())) + "/" +
         std::to_string(f.syncs_ok + f.syncs_failed) + "/" + std::to_string(f.last_sync_at);
}

void Console::Impl::keepBacktest(const std::string& key, BacktestRun run) {
  std::lock_guard lock(backtest_mutex);
  backtests.erase(key);
  // Results of an older version first, then the oldest.
  while (backtests.size() >= kBacktestCache) {
    auto drop = backtests.begin();
    for (auto at = backtests.begin(); at != backtests.end(); ++at) {
      bool stale = at->second.version != run.version,
           dropStale = drop->second.version != run.version;
      if (stale != dropStale ? stale : at->second.finished_at < drop->second.finished_at) drop = at;
    }
    backtests.erase(drop);
  }
  backtests[key] = std::move(run);
}

void Console::Impl::backtest(HTTPServerRequest& request, HTTPServerResponse& response,
                             const ConsoleViewer& viewer, const Poco::URI& uri) {
  std::string role(toString(viewer.role));
  if (!maySeePupils(viewer.role)) {
    record(request, viewer, "refused", "/console/backtest", "the role may not see pupils' figures");
    return send(response, HTTPResponse::HTTP_FORBIDDEN,
                messagePage(schoolName(viewer.school), "Not allowed",
                            "Your role (" + role +
                                ") does not see pupils' figures: a backtest counts pupils by "
                                "rule and week, so it is for the attendance officer, the DSL and "
                                "read-only users. Ask one of them if you need it.",
                            &viewer));
  }
  try {
    auto config = service.config(viewer.school);
    auto calendar = figures.calendarFor(config);
    std::shared_ptr<const std::vector<BacktestChoice>> offered;
    {
      std::lock_guard lock(backtest_mutex);
      if (choices_config == config) offered = choices;
    }
    if (!offered) {
      offered = std::make_shared<const std::vector<BacktestChoice>>(
          backtestChoices(*config, service.configFile()));
      std::lock_guard lock(backtest_mutex);
      choices_config = config;
      choices = offered;
    }
    auto query = uri.getQueryParameters();
    std::string problem;
    Date today = london::localDate(now() / 1000);
    auto asked = backtestRequestFrom(query, *offered, *calendar, today, problem);
    auto frame = frameFor(viewer, "Backtest", "backtest");
    if (!problem.empty()) {
      record(request, viewer, "backtest", "/console/backtest", "refused: " + problem);
      return send(
          response, HTTPResponse::HTTP_BAD_REQUEST,
          backtestPage(*offered, asked, BacktestView{nullptr, nullptr, problem, "", ""}, frame));
    }
    // Opening the page shows the form; the form's button runs the backtest.
    bool run = false;
    for (const auto& [key, value] : query) run = run || key == "policy";
    if (!run) {
      record(request, viewer, "open", "/console/backtest", "ok");
      return send(response, HTTPResponse::HTTP_OK, backtestPage(*offered, asked, {}, frame));
    }
    // Who ran which policies over which dates (the audit log's line for every run).
    std::string target = "backtest " + asked.policy +
                         (asked.compare.empty() ? "" : " against " + asked.compare) + ", " +
                         asked.from.iso() + " to " + asked.to.iso();
    auto key = viewer.school + "/" + backtestKey(asked);  // each school's own results
    auto version = backtestVersion(config);
    auto ruleSet = [&](const std::string& name) -> const RuleSet& {
      for (const auto& c : *offered)
        if (c.key == name) return c.rules;
      throw std::logic_error("a policy the form checked is not offered");
    };
    auto show = [&](const BacktestRun& done, const std::string& outcome) {
      record(request, viewer, "backtest", target, outcome);
      BacktestView view{done.result.get(), done.other.get(), "", "",
                        "Worked out at " + londonTime(done.finished_at / 1000) +
                            " (London); kept until the next sync."};
      return send(response, HTTPResponse::HTTP_OK, backtestPage(*offered, asked, view, frame));
    };
    {
      std::lock_guard lock(backtest_mutex);
      if (auto kept = backtests.find(key);
          kept != backtests.end() && kept->second.version == version)
        return show(kept->second,
                    "ok (kept from " + londonTime(kept->second.finished_at / 1000) + ")");
    }
    // The work: both policies over the store, as `markbridge backtest` replays them.
    auto work = [this, config, calendar, offered, asked, version, key,
                 rules = &ruleSet(asked.policy),
                 other = asked.compare.empty() ? nullptr : &ruleSet(asked.compare)] {
      auto store = service.openStore(config->school.urn);
      BacktestRun done;
      done.version = version;
      done.result = std::make_shared<BacktestResult>(
          backtestStore(*store, *calendar, *rules, asked.from, asked.to, &backtest_cancel));
      if (other)
        done.other = std::make_shared<BacktestResult>(
            backtestStore(*store, *calendar, *other, asked.from, asked.to, &backtest_cancel));
      done.finished_at = now();
      keepBacktest(key, done);
      return done;
    };
    auto counted = figures.pupils(viewer.school, config);
    int pupils = counted ? *counted : service.openStore(viewer.school)->status().pupils;
    if (pupils <= backtest_inline_pupils) return show(work(), "ok");

    std::string running;
    {
      std::lock_guard lock(backtest_mutex);
      if (backtest_running.empty()) {
        if (backtest_worker.joinable()) backtest_worker.join();  // finished: it cleared the key
        backtest_running = key;
        backtest_started = now();
        backtest_worker = std::thread([this, work] {
          try {
            work();
          } catch (const BacktestCancelled&) {
          } catch (const std::exception& error) {
            namedLogger("console")->warn("a backtest for the console failed: {}", error.what());
          }
          std::lock_guard lock(backtest_mutex);
          backtest_running.clear();
        });
        record(request, viewer, "backtest", target, "started in the background");
        running = "running, started at " + londonTime(backtest_started / 1000) + " (London)";
      } else if (backtest_running == key) {
        record(request, viewer, "backtest", target, "still running");
        running = "running, started at " + londonTime(backtest_started / 1000) + " (London)";
      } else {
        record(request, viewer, "backtest", target, "waiting for another backtest");
        running = "waiting: another backtest, started at " + londonTime(backtest_started / 1000) +
                  " (London), is running and only one runs at a time";
      }
    }
    return send(
        response, HTTPResponse::HTTP_OK,
        backtestPage(*offered, asked, BacktestView{nullptr, nullptr, "", running, ""}, frame));
  } catch (const std::exception& error) {
    namedLogger("console")->error("the console's backtest failed: {}", error.what());
    return send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                messagePage(schoolName(viewer.school), "Not available",
                            "The backtest cannot be run just now (the service log says why): try "
                            "again in a minute.",
                            &viewer));
  }
}

void Console::Impl::schools(HTTPServerRequest& request, HTTPServerResponse& response,
                            const ConsoleViewer& viewer) {
  record(request, viewer, "open", "/console/schools", "ok");
  send(response, HTTPResponse::HTTP_OK, schoolsPage(service, viewer, figures.absentees(), now()));
}

Console::Console(Service& service, const ServiceConfig& config,
                 const std::filesystem::path& baseDir)
    : impl_(std::make_unique<Impl>(service, config, baseDir)) {}

Console::~Console() = default;

void Console::handle(HTTPServerRequest& request, HTTPServerResponse& response) {
  Poco::URI uri(request.getURI());
  const std::string& path = uri.getPath();
  if (path == "/console/style.css") {
    response.set("Cache-Control", "max-age=3600");
    response.setContentType("text/css; charset=utf-8");
    std::string css(consoleCss());
    response.setContentLength(static_cast<std::streamsize>(css.size()));
    response.send() << css;
    return;
  }
  if (!impl_->servable)
    return impl_->send(response, HTTPResponse::HTTP_FORBIDDEN,
                       messagePage(impl_->schoolName(), "The console needs TLS",
                                   "The admin API listens beyond this machine without TLS, so "
                                   "the console would send passwords in clear: set "
                                   "service.admin_cert and admin_key, or bind 127.0.0.1.",
                                   nullptr));
  if (path == "/console/login") return impl_->login(request, response);
  Poco::Net::NameValueCollection cookies;
  request.getCookies(cookies);
  impl_->serve(request, response, cookies.get(kSessionCookie, ""));
}

}  // namespace markbridge

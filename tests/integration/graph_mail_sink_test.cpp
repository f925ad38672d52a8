// The `graph_mail` sink against the sandbox's stand-in for Microsoft Graph's sendMail, over
// HTTPS with an OAuth2 token from the sandbox's token endpoint (and once from a real npm OAuth2
// server): who each event is mailed to, what the mail says with and without names, a
// correction, every answer Graph gives (202, 400 with its error object, 401, 403, 404 for the
// sender mailbox, 429 with Retry-After, 503, a dropped connection), what a lost answer does
// (the mail is sent twice, with the same X-Markbridge-Key), and its settings checked by name.
// The exact bytes of each kind of mail are pinned in SinkWireBodies.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/outbound/graph_mail/graph_mail_config.h"
#include "connectors/outbound/outbound_types.h"
#include "core/outbox/delivery_worker.h"
#include "core/rules/event.h"
#include "core/store/store.h"
#include "tests/integration/peer_process.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/ladder_school.h"
#include "tests/support/policy_register.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

Event pupilEvent(const std::string& id, const std::string& type, const char* action = nullptr) {
  Event e;
  e.id = id;
  e.rule = "response." + type;
  e.type = type;
  e.episode = "2024-09-16";
  e.pupil = Pupil{"B801200005001", "1001", "Zoë", "O'Brien", test::d("2012-10-01"), "7", "7A", {}};
  e.occurred_on = test::d("2024-09-27");
  e.from = test::d("2024-09-16");
  e.to = test::d("2024-09-27");
  e.sessions_by_code = {{"N", 18}, {"O", 2}};
  e.attendance_percent = 61.54;
  e.summary = "10 unauthorised sessions (N x18, O x2) since 2024-09-16";
  if (action) e.action = action;
  return e;
}

class GraphMailSink : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("MB_GRAPH_SECRET", "oauth-sandbox-secret", 1); }

  void start(const std::function<void(sandbox::SandboxOptions&)>& tune = {}) {
    sandbox = test::startSandbox("server", tune);
  }

  nlohmann::json config(const nlohmann::json& more = nlohmann::json::object()) const {
    nlohmann::json c = {
        {"name", "mail"},
        {"type", "graph_mail"},
        {"base_url", sandbox ? sandbox->baseUrl() : "https://127.0.0.1:1"},
        {"ca_file", test::certsDir() + "/ca.pem"},
        {"auth",
         {{"type", "oauth2"},
          {"token_url", (sandbox ? sandbox->baseUrl() : "https://127.0.0.1:1") + "/oauth/token"},
          {"client_id", "markbridge"},
          {"client_secret_env", "MB_GRAPH_SECRET"},
          {"scope", "https://graph.microsoft.com/.default"}}},
        {"sender", "markbridge@school.example"},
        {"to",
         {{"attendance_officer", {"attendance@school.example"}},
          {"dsl", {"dsl@school.example", "deputy.dsl@school.example"}},
          {"head_of_year", {"hoy7@school.example", "dsl@school.example"}}}},
        {"events", {"concern", "task", "note", "unauthorised_10_day"}}};
    c.merge_patch(more);
    return c;
  }

  // The sink built as the gateway builds it; problems in `problems`.
  std::unique_ptr<Sink> build(const nlohmann::json& json) {
    problems.clear();
    School school{"140000", "801", "4000", "Demo Academy"};
    return findOutboundType("graph_mail")
        ->build(json, "$.sinks[0]", "/", school, ConfigContext{"markbridge.json", &problems});
  }

  DeliveryResult send(Sink& sink, const Event& event, OutboxKind kind = OutboxKind::Notify,
                      const std::string& original = "") {
    OutboxItem item;
    item.seq = ++seq;
    item.key = event.id + "/" + std::to_string(seq) + "@mail";
    item.sink = "mail";
    item.event_id = event.id;
    item.upn = event.pupil.upn;
    item.kind = kind;
    item.payload = event.toJson();
    return sink.deliver(item, SinkEvent::fromJson(item.payload), original);
  }

  nlohmann::json mail(std::size_t i) const {
    return nlohmann::json::parse(sandbox->received().at(i).body)["message"];
  }

  static std::vector<std::string> recipients(const nlohmann::json& message) {
    std::vector<std::string> out;
    for (const auto& r : message["toRecipients"])
      out.push_back(r["emailAddress"]["address"].get<std::string>());
    return out;
  }

  std::string problemAt(const std::string& location) const {
    for (const auto& p : problems)
      if (p.location == location) return p.message;
    return "";
  }

  std::unique_ptr<sandbox::SandboxServer> sandbox;
  std::vector<Problem> problems;
  int seq = 0;
};

}  // namespace

TEST_F(GraphMailSink, EachEventIsMailedToTheAddressesOfTheRoleItsActionNames) {
  start();
  auto sink = build(config());
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto task = pupilEvent("ev-1", "task",
                         R"({"assignee_role":"attendance_officer","due_on":"2024-10-01",)"
                         R"("text":"Call home"})");
  auto concern = pupilEvent("ev-2", "concern", R"({"alert":["dsl","head_of_year"]})");
  auto notification = pupilEvent("ev-3", "unauthorised_10_day");
  for (const auto* e : {&task, &concern, &notification}) {
    auto result = send(*sink, *e);
    ASSERT_EQ(result.outcome, DeliveryResult::Outcome::Delivered) << result.reason;
    // Graph answers 202 with no body: the mail's own key is what a correction quotes.
    EXPECT_EQ(result.reference, e->id + "/" + std::to_string(seq) + "@mail");
  }
  auto received = sandbox->received();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].kind, "mail");
  EXPECT_EQ(received[0].path, "POST /v1.0/users/markbridge@school.example/sendMail");
  EXPECT_EQ(recipients(mail(0)), std::vector<std::string>{"attendance@school.example"});
  // A concern alerting two roles: every address of both, each once.
  EXPECT_EQ(recipients(mail(1)),
            (std::vector<std::string>{"dsl@school.example", "deputy.dsl@school.example",
                                      "hoy7@school.example"}));
  // An LA notification names no role: the default role's addresses.
  EXPECT_EQ(recipients(mail(2)), std::vector<std::string>{"attendance@school.example"});
  for (std::size_t i = 0; i < received.size(); ++i) {
    auto key = "ev-" + std::to_string(i + 1) + "/" + std::to_string(i + 1) + "@mail";
    EXPECT_EQ(received[i].idempotency_key, key);
    EXPECT_EQ(mail(i)["internetMessageHeaders"],
              nlohmann::json::parse(R"([{"name":"X-Markbridge-Key","value":")" + key + "\"}]"));
    EXPECT_EQ(mail(i)["body"]["contentType"], "Text");
    EXPECT_EQ(received[i].bearer.rfind("oauth-", 0), 0u) << received[i].bearer;
  }
  EXPECT_EQ(mail(0)["subject"],
            "[Markbridge] Attendance task for attendance_officer: Zoë O'Brien (7A)");
  auto text = mail(0)["body"]["content"].get<std::string>();
  EXPECT_NE(text.find("Task for attendance_officer, due 2024-10-01: Call home"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Sessions by code: N 18, O 2"), std::string::npos) << text;
  EXPECT_NE(text.find("Attendance this academic year: 61.5%"), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(received[0].body)["saveToSentItems"], true);
  EXPECT_EQ(sandbox->tokensIssued(), 1);  // one token for the three mails
  EXPECT_EQ(sink->counters().records, 3);
}

TEST_F(GraphMailSink, ARoleWithNoAddressIsDeadLetteredNamingItAndNothingIsSent) {
  start();
  auto sink = build(config());
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto result =
      send(*sink, pupilEvent("ev-1", "concern", R"({"alert":["dsl","family_liaison_officer"]})"));
  EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Reject);
  EXPECT_NE(result.reason.find("sink mail: no address for the role family_liaison_officer in "
                               "`to`: add it, then `markbridge outbox retry 1` (nothing was sent)"),
            std::string::npos)
      << result.reason;
  EXPECT_TRUE(sandbox->received().empty());
  EXPECT_EQ(sandbox->requests(), 0);  // not even a token
}

TEST_F(GraphMailSink, WithNamesOffTheMailCarriesTheMaskedUpnAndRegistrationGroupOnly) {
  start();
  auto sink = build(config({{"names", false}, {"save_to_sent_items", false}}));
  ASSERT_TRUE(sink) << problems.at(0).str();
  ASSERT_EQ(send(*sink, pupilEvent("ev-1", "note", R"({"text":"Letter 1 sent"})")).outcome,
            DeliveryResult::Outcome::Delivered);
  auto body = sandbox->received().at(0).body;
  for (const char* hidden : {"Zo", "O'Brien", "B801200005001", "2012-10-01"})
    EXPECT_EQ(body.find(hidden), std::string::npos) << hidden << " in " << body;
  EXPECT_EQ(mail(0)["subject"], "[Markbridge] Attendance note: B...5001 (7A)");
  EXPECT_NE(body.find("Pupil: UPN B...5001, registration group 7A"), std::string::npos) << body;
  EXPECT_NE(body.find("Note: Letter 1 sent"), std::string::npos) << body;
  EXPECT_EQ(nlohmann::json::parse(body)["saveToSentItems"], false);
}

TEST_F(GraphMailSink, ACorrectionSaysWhatChangedAndQuotesTheFirstMailsSubject) {
  start();
  auto sink = build(config());
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto concern = pupilEvent("ev-1", "concern", R"({"alert":["dsl"]})");
  auto first = send(*sink, concern);
  ASSERT_EQ(first.outcome, DeliveryResult::Outcome::Delivered) << first.reason;
  auto revised = concern;
  revised.sessions_by_code = {{"N", 20}};
  ASSERT_EQ(send(*sink, revised, OutboxKind::Revise, first.reference).outcome,
            DeliveryResult::Outcome::Delivered);
  ASSERT_EQ(send(*sink, concern, OutboxKind::Withdraw, first.reference).outcome,
            DeliveryResult::Outcome::Delivered);
  std::string subject = mail(0)["subject"];
  EXPECT_EQ(subject, "[Markbridge] Attendance concern: Zoë O'Brien (7A)");
  EXPECT_EQ(mail(1)["subject"], "Revised: " + subject);
  EXPECT_EQ(mail(2)["subject"], "Withdrawn: " + subject);
  auto quoted = "the email \"" + subject + "\" (reference " + first.reference + ")";
  std::string revisedText = mail(1)["body"]["content"], withdrawnText = mail(2)["body"]["content"];
  EXPECT_EQ(revisedText.find("Revised: the register was amended; the grounds for " + quoted), 0u)
      << revisedText;
  EXPECT_NE(revisedText.find("Sessions by code: N 20\n"), std::string::npos) << revisedText;
  EXPECT_EQ(withdrawnText.find("Withdrawn: the register was amended and the grounds for " + quoted +
                               " no longer hold"),
            0u)
      << withdrawnText;
  EXPECT_EQ(recipients(mail(2)),
            (std::vector<std::string>{"dsl@school.example", "deputy.dsl@school.example"}));
}

TEST_F(GraphMailSink, GraphsAnswersAreClassifiedAsEverySinksAre) {
  start();
  auto sink = build(config());
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto event = pupilEvent("ev-1", "task", R"({"assignee_role":"dsl","text":"Call"})");
  ASSERT_EQ(send(*sink, event).outcome, DeliveryResult::Outcome::Delivered);  // the token
  auto failWith = [&](int status, int times = 1) {
    sandbox::Faults f;
    f.fail = times;
    f.status = status;
    sandbox->setFaults(f);
    return send(*sink, event);
  };
  // 400 with Graph's error object: the content is refused, dead-lettered with Graph's words.
  auto refused = failWith(400);
  EXPECT_EQ(refused.outcome, DeliveryResult::Outcome::Reject);
  EXPECT_EQ(
      refused.described().rfind(
          "sink mail: HTTP 400: ErrorInvalidRecipients: At least one recipient is not valid.", 0),
      0u)
      << refused.described();
  EXPECT_EQ(refused.reason, "sink mail: HTTP 400");  // what a log line says
  EXPECT_NE(refused.response_body.find("\"innerError\""), std::string::npos);
  // 403: an Exchange application access policy refusing the mailbox pauses the sink too.
  auto forbidden = failWith(403);
  EXPECT_EQ(forbidden.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_TRUE(forbidden.sink_unavailable);
  EXPECT_NE(forbidden.reason.find("ErrorAccessDenied: Access to OData is disabled: [RAOP] : "
                                  "Blocked by tenant configured AppOnly AccessPolicy settings. "
                                  "(check the sink's credentials)"),
            std::string::npos)
      << forbidden.reason;
  // 429 with Retry-After: wait as asked; the whole sink slows down.
  auto throttled = failWith(429);
  EXPECT_EQ(throttled.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_EQ(throttled.retry_after_ms, 5000);
  EXPECT_TRUE(throttled.throttled());
  EXPECT_FALSE(throttled.sink_unavailable);
  // 503 without Retry-After: an ordinary failure, retried on the item's backoff.
  auto down = failWith(503);
  EXPECT_EQ(down.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_EQ(down.http_status, 503);
  EXPECT_FALSE(down.throttled());
  EXPECT_FALSE(down.sink_unavailable);
  // A dropped connection: no answer at all.
  sandbox::Faults drop;
  drop.drop = 1;
  sandbox->setFaults(drop);
  auto dropped = send(*sink, event);
  EXPECT_EQ(dropped.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_EQ(dropped.http_status, 0);
  EXPECT_EQ(sandbox->received().size(), 1u);  // the first, before the faults
  // And then Graph takes it.
  EXPECT_EQ(send(*sink, event).outcome, DeliveryResult::Outcome::Delivered);
  EXPECT_EQ(sandbox->received().size(), 2u);
  EXPECT_EQ(sandbox->tokensIssued(), 1);
}

TEST_F(GraphMailSink, ATokenForAnotherAudienceIsRefusedTwiceAndPausesTheSink) {
  start();
  // A scope that is not Graph's: the token endpoint issues a token Graph does not take.
  auto sink = build(config({{"auth", {{"scope", "Mail.Send"}}}}));
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto result = send(*sink, pupilEvent("ev-1", "note"));
  EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_TRUE(result.sink_unavailable);  // its items wait; none is dead-lettered
  EXPECT_EQ(result.http_status, 401);
  EXPECT_NE(result.reason.find("sink mail: HTTP 401: InvalidAuthenticationToken: Access token "
                               "validation failure. Invalid audience. (check the sink's "
                               "credentials)"),
            std::string::npos)
      << result.reason;
  EXPECT_EQ(sandbox->tokensIssued(), 2);  // a fresh token was tried once after the first 401
  EXPECT_TRUE(sandbox->received().empty());
}

TEST_F(GraphMailSink, ASenderMailboxGraphDoesNotKnowPausesTheSinkInsteadOfDeadLetteringEachMail) {
  start();
  auto sink = build(config({{"sender", "markbridge@other.example"}}));
  ASSERT_TRUE(sink) << problems.at(0).str();
  auto result = send(*sink, pupilEvent("ev-1", "note"));
  EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Retry);
  EXPECT_TRUE(result.sink_unavailable);
  EXPECT_EQ(result.http_status, 404);
  EXPECT_NE(result.reason.find("HTTP 404: ErrorInvalidUser: The requested user "
                               "'markbridge@other.example' is invalid. (check `sender`"),
            std::string::npos)
      << result.reason;
}

TEST_F(GraphMailSink, ALostAnswerSendsTheMailTwiceWithTheSameKeyForAPersonToSpot) {
  // Graph has no idempotency key: what docs/sinks.md says about exactly-once, shown.
  start();
  auto sink = build(config());
  ASSERT_TRUE(sink) << problems.at(0).str();
  sandbox::Faults lose;
  lose.drop_after_percent = 100;  // Graph accepts the mail; its answer never arrives
  sandbox->setFaults(lose);
  OutboxItem item;
  item.seq = 1;
  item.key = "ev-1/1@mail";
  item.sink = "mail";
  item.upn = "B801200005001";
  item.payload = pupilEvent("ev-1", "note").toJson();
  auto event = SinkEvent::fromJson(item.payload);
  EXPECT_EQ(sink->deliver(item, event, "").outcome, DeliveryResult::Outcome::Retry);
  sandbox->setFaults({});
  EXPECT_EQ(sink->deliver(item, event, "").outcome, DeliveryResult::Outcome::Delivered);
  auto received = sandbox->received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(sandbox->duplicates(), 1);
  EXPECT_EQ(received[0].body, received[1].body);  // the same X-Markbridge-Key and last line
  EXPECT_NE(received[1].body.find("Reference: ev-1/1@mail"), std::string::npos);
}

TEST_F(GraphMailSink, ItsSettingsAreCheckedAndNamedByTheirPath) {
  std::vector<Problem> found;
  ConfigContext context{"markbridge.json", &found};
  // The defaults: Graph itself and the system's CA bundle.
  auto minimal = config();
  minimal.erase("base_url");
  minimal.erase("ca_file");
  auto parsed = GraphMailConfig::fromJson(minimal, "$.sinks[0]", "/", context);
  EXPECT_TRUE(found.empty()) << found.at(0).str();
  EXPECT_EQ(parsed.connection.base_url, "https://graph.microsoft.com");
  EXPECT_EQ(parsed.connection.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(parsed.default_role, "attendance_officer");
  EXPECT_TRUE(parsed.names);

  build(config({{"to",
                 {{"attendance_officer", nullptr},
                  {"dsl", {"dsl.school.example", "dsl@school.example"}},
                  {"hoy", nlohmann::json::array()}}},
                {"auth", {{"type", "bearer"}, {"token_env", "X"}}},
                {"sender", "mail box@school.example"},
                {"events", {"task", "penalty"}}}));
  EXPECT_EQ(problemAt("$.sinks[0].to.dsl[0]"), "must be an email address (name@domain)");
  EXPECT_EQ(problemAt("$.sinks[0].to.hoy"), "must be a list of one or more email addresses");
  EXPECT_NE(problemAt("$.sinks[0].auth.type").find("must be oauth2"), std::string::npos);
  EXPECT_NE(problemAt("$.sinks[0].sender").find("must be a mailbox's address"), std::string::npos);
  EXPECT_NE(problemAt("$.sinks[0].events[1]")
                .find("must be concern, task, note or an LA "
                      "notification type"),
            std::string::npos);
  // attendance_officer (the default role) is no longer in `to`.
  EXPECT_NE(problemAt("$.sinks[0].default_role").find("must be a role of `to`"), std::string::npos);

  auto noScope = config();
  noScope["auth"].erase("scope");
  build(noScope);
  EXPECT_NE(problemAt("$.sinks[0].auth.scope").find("https://graph.microsoft.com/.default"),
            std::string::npos);
  auto noAuth = config();
  noAuth.erase("auth");
  noAuth.erase("to");
  build(noAuth);
  EXPECT_NE(problemAt("$.sinks[0].auth").find("is required"), std::string::npos);
  EXPECT_NE(problemAt("$.sinks[0].to").find("is required"), std::string::npos);
}

TEST_F(GraphMailSink, TheExampleInTheDocsIsAValidSink) {
  std::ifstream in(test::sourceDir() + "/docs/sinks.md");
  std::string line, block;
  bool inSection = false, inBlock = false;
  while (std::getline(in, line)) {
    if (line.rfind("## `graph_mail`", 0) == 0) inSection = true;
    if (!inSection) continue;
    if (!inBlock && line == "```json") {
      inBlock = true;
      continue;
    }
    if (inBlock && line == "```") break;
    if (inBlock) block += line + "\n";
  }
  ASSERT_FALSE(block.empty()) << "no ```json block under ## `graph_mail` in docs/sinks.md";
  auto example = nlohmann::json::parse(block);
  std::vector<Problem> found;
  findOutboundType("graph_mail")->validate(example, "$.sinks[0]", "/", {"sinks.md", &found});
  EXPECT_TRUE(found.empty()) << found.at(0).str();
  EXPECT_EQ(example["auth"]["token_url"].get<std::string>().rfind(
                "https://login.microsoftonline.com/", 0),
            0u);
}

TEST_F(GraphMailSink, ARealOAuth2ServersTokenIsFetchedOnceForSeveralMails) {
  auto peers = std::filesystem::path(test::sourceDir()) / "tests/peers";
  ASSERT_TRUE(std::filesystem::exists(peers / "node_modules/oauth2-mock-server"))
      << "tests/peers/node_modules is missing: run `npm ci --prefix tests/peers`";
  test::TempDir dir;
  // Microsoft's token endpoint takes the secret in the form (client_secret_post), as here.
  test::PeerProcess peer(
      {"node", (peers / "oauth2-peer.mjs").string(), "--cert", test::certsDir() + "/server.pem",
       "--key", test::certsDir() + "/server.key", "--port-file", (dir / "port").string(),
       "--client-secret", "oauth-sandbox-secret", "--client-auth", "post"},
      dir / "peer.log");
  ASSERT_TRUE(peer.started()) << peer.why();
  ASSERT_TRUE(test::waitFor([&] { return std::filesystem::exists(dir / "port"); }))
      << test::readFile(dir / "peer.log");
  auto tokenUrl =
      "https://127.0.0.1:" + std::to_string(std::stoi(test::readFile(dir / "port"))) + "/token";
  start([](sandbox::SandboxOptions& o) { o.accept_any_bearer = true; });
  auto json = config();
  json["auth"]["token_url"] = tokenUrl;
  json["auth"]["client_auth"] = "client_secret_post";
  auto sink = build(json);
  ASSERT_TRUE(sink) << problems.at(0).str();
  for (int i = 1; i <= 2; ++i) {
    auto result = send(*sink, pupilEvent("ev-" + std::to_string(i), "note"));
    EXPECT_EQ(result.outcome, DeliveryResult::Outcome::Delivered) << result.reason;
  }
  std::istringstream log(test::readFile(dir / "peer.log"));
  int tokens = 0;
  for (std::string l; std::getline(log, l);) tokens += l.rfind("token 200 post", 0) == 0;
  EXPECT_EQ(tokens, 1) << test::readFile(dir / "peer.log");
  for (const auto& r : sandbox->received())  // the server's own token: a signed JWT
    EXPECT_EQ(std::count(r.bearer.begin(), r.bearer.end(), '.'), 2) << r.bearer;
}

TEST_F(GraphMailSink, StJohnsTaskAndKeyStaffAlertGoThroughTheOutboxAndAMissingRoleWaitsForAPerson) {
  // St John's graduated response: one day of holiday not granted raises a concern alerting the
  // key worker, head of year, SENCO and DSL; a second day the AC1 welfare call task.
  test::PolicyRegister reg(test::autumnCalendar());
  reg.set({test::d("2024-10-09"), test::d("2024-10-10")}, "G", "G");
  auto policy = Policy::load(test::sourceDir() + "/docs/policies/st-johns-graduated-response.json");
  auto events = reg.fired(policy, "st_johns.reason_other_than_illness");
  auto tasks = reg.fired(policy, "st_johns.ac1_two_days");
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(tasks.size(), 1u);
  events.push_back(tasks[0]);
  start();
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  // No addresses yet for the key worker or the SENCO.
  auto json = config({{"to", {{"DSL", {"dsl@school.example"}}}}, {"max_per_second", 0}});
  auto sink = build(json);
  ASSERT_TRUE(sink) << problems.at(0).str();
  SystemClock clock;
  SystemRandom random;
  std::map<std::string, CircuitBreaker> circuits;
  store->commitEvaluation({reg.pupil.upn}, events, {{"mail", sink->eventTypes()}}, clock.nowMs());
  DeliveryOptions options;
  options.backoff = BackoffPolicy{20, 200};
  options.run_budget_ms = 5000;
  auto drain = [&] {
    int delivered = 0;
    for (int run = 0; run < 5 && !store->outbox(OutboxState::Pending, 10).empty(); ++run) {
      DeliveryWorker worker(*store, {{"mail", sink.get()}}, clock, random, options, circuits);
      delivered += worker.run().delivered;  // a loaded machine may time one out: again
      circuits.clear();
      for (const auto& item : store->outbox(OutboxState::Pending, 10))
        store->recordRetry(item.seq, item.attempts, clock.nowMs(), item.last_error);
    }
    return delivered;
  };
  EXPECT_EQ(drain(), 1);
  ASSERT_EQ(sandbox->received().size(), 1u);
  EXPECT_EQ(recipients(mail(0)), std::vector<std::string>{"attendance@school.example"});
  EXPECT_NE(mail(0)["body"]["content"].get<std::string>().find("AC1: 2 days of absence since"),
            std::string::npos);
  auto dead = store->outbox(OutboxState::Rejected, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].last_error.find("no address for the roles key_worker, SENCO in `to`: add them, "
                                    "then `markbridge outbox retry "),
            std::string::npos)
      << dead[0].last_error;
  // The technician adds the roles and retries the dead letter: the concern goes to all four.
  json["to"]["key_worker"] = {"keyworkers@school.example"};
  json["to"]["SENCO"] = {"senco@school.example"};
  sink = build(json);
  ASSERT_TRUE(sink) << problems.at(0).str();
  ASSERT_TRUE(store->retryOutbox(dead[0].seq, clock.nowMs()));
  EXPECT_EQ(drain(), 1);
  ASSERT_EQ(sandbox->received().size(), 2u);
  EXPECT_EQ(recipients(mail(1)),
            (std::vector<std::string>{"keyworkers@school.example", "hoy7@school.example",
                                      "dsl@school.example", "senco@school.example"}));
  EXPECT_EQ(mail(1)["subject"], "[Markbridge] Attendance concern: Ann Smith (8B)");
  EXPECT_TRUE(store->outbox(OutboxState::Rejected, 10).empty());
}

// ---- Black box: the built binary syncs a register and the staff are mailed ------------------

TEST(GraphMailCli, ASyncMailsTheLetterTaskAndTheMeetingConcernAndLogsNoNameOrSecret) {
  auto server = test::startSandbox();
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("ours.json", test::letterThenMeetingPolicy("dsl"));
  nlohmann::json mail = {
      {"name", "mail"},
      {"type", "graph_mail"},
      {"base_url", server->baseUrl()},
      {"ca_file", test::certsDir() + "/ca.pem"},
      {"auth",
       {{"type", "oauth2"},
        {"token_url", server->baseUrl() + "/oauth/token"},
        {"client_id", "markbridge"},
        {"client_secret_env", "MB_GRAPH_SECRET"},
        {"scope", "https://graph.microsoft.com/.default"},
        {"client_auth", "client_secret_post"}}},
      {"sender", "markbridge@school.example"},
      {"to",
       {{"attendance_officer", {"attendance@school.example"}}, {"dsl", {"dsl@school.example"}}}},
      {"max_per_second", 0}};
  dir.write(
      "markbridge.json",
      test::schoolConfig(
          {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
           {"rules", {{"policies", {"ours.json"}}}},
           {"sinks", nlohmann::json::array({mail})}})
          .dump(2));
  dir.write("register.csv", test::absentFromThe16thCsv("2024-09-24"));
  std::map<std::string, std::string> env = {{"MB_GRAPH_SECRET", "oauth-sandbox-secret"}};
  auto check = test::runMarkbridge({"check", "--config", "markbridge.json"}, env, dir.path());
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  auto sync = test::runMarkbridge({"sync", "--config", "markbridge.json"}, env, dir.path());
  ASSERT_EQ(sync.exit_code, 0) << sync.out << sync.err;

  auto received = server->received();
  ASSERT_EQ(received.size(), 2u) << sync.out << sync.err;
  std::map<std::string, nlohmann::json> bySubject;
  for (const auto& r : received) {
    auto message = nlohmann::json::parse(r.body)["message"];
    bySubject[message["subject"]] = message;
  }
  ASSERT_TRUE(
      bySubject.count("[Markbridge] Attendance task for attendance_officer: Zed Brown (8B)"))
      << received[0].body;
  ASSERT_TRUE(bySubject.count("[Markbridge] Attendance concern: Zed Brown (8B)"))
      << received[1].body;
  EXPECT_EQ(bySubject["[Markbridge] Attendance concern: Zed Brown (8B)"]["toRecipients"],
            nlohmann::json::parse(R"([{"emailAddress": {"address": "dsl@school.example"}}])"));
  // The mails carry the names; the console and the log do not, nor the secret.
  for (const auto* output : {&sync.out, &sync.err, &check.out, &check.err}) {
    EXPECT_EQ(output->find("Zed"), std::string::npos) << *output;
    EXPECT_EQ(output->find("Brown"), std::string::npos) << *output;
    EXPECT_EQ(output->find("oauth-sandbox-secret"), std::string::npos) << *output;
  }
  EXPECT_NE(sync.out.find("-> mail reference ev-"), std::string::npos) << sync.out;
}

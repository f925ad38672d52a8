// The console's building blocks without a network: the password KDF, sessions and their expiry,
// login throttling, the users file and the one HTML escape.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/app/console/console_html.h"
#include "core/app/console/console_pages.h"
#include "core/app/console/console_sessions.h"
#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"
#include "tests/support/test_support.h"

using namespace markbridge;

TEST(ConsolePassword, VerifiesTheRightPasswordAndRefusesAWrongOne) {
  auto hash = hashPassword("correct horse battery");
  EXPECT_TRUE(verifyPassword("correct horse battery", hash));
  EXPECT_FALSE(verifyPassword("correct horse batterY", hash));
  EXPECT_FALSE(verifyPassword("", hash));
}

TEST(ConsolePassword, TheHashNamesScryptAndItsCostWithARandomSalt) {
  auto a = hashPassword("same password here");
  auto b = hashPassword("same password here");
  EXPECT_EQ(a.rfind("scrypt$N=32768,r=8,p=3$", 0), 0u) << a;
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_EQ(passwordHashProblem(a), std::nullopt);
  // A cheaper cost stored in the hash is read from the hash.
  auto cheap = hashPassword("pw", ScryptCost{1024, 8, 1});
  EXPECT_EQ(cheap.rfind("scrypt$N=1024,r=8,p=1$", 0), 0u);
  EXPECT_TRUE(verifyPassword("pw", cheap));
}

TEST(ConsolePassword, AMalformedHashIsRefusedWithItsReason) {
  std::string why;
  EXPECT_FALSE(verifyPassword("x", "md5$abc", &why));
  EXPECT_NE(why.find("not a scrypt hash"), std::string::npos) << why;
  EXPECT_FALSE(
      verifyPassword("x", "scrypt$N=1000,r=8,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5", &why));
  EXPECT_NE(why.find("out of bounds"), std::string::npos) << why;  // N not a power of 2
  EXPECT_FALSE(verifyPassword("x", "scrypt$N=1024,r=8,p=1$!!$!!", &why));
  EXPECT_NE(why.find("base64"), std::string::npos) << why;
  // A cost that would take gigabytes is refused before any work.
  EXPECT_TRUE(
      passwordHashProblem("scrypt$N=1073741824,r=8,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5"));
}

TEST(ConsoleSessions, ASessionEndsAfterItsIdleTimeAndAfterItsAbsoluteTime) {
  SessionBook book;
  auto id = book.start("sam", ConsoleRole::Technician, 0);
  EXPECT_EQ(id.size(), 64u);  // 256 bits, hex
  ASSERT_TRUE(book.touch(id, SessionBook::kIdleMs - 1));
  // Idle: a request every 29 minutes keeps it, until the absolute limit.
  int64_t t = SessionBook::kIdleMs - 1;
  while (t + SessionBook::kIdleMs - 1 < SessionBook::kAbsoluteMs) {
    t += SessionBook::kIdleMs - 1;
    ASSERT_TRUE(book.touch(id, t)) << t;
  }
  EXPECT_FALSE(book.touch(id, SessionBook::kAbsoluteMs));
  EXPECT_EQ(book.size(), 0u);
  auto idle = book.start("sam", ConsoleRole::Technician, 0);
  EXPECT_FALSE(book.touch(idle, SessionBook::kIdleMs));
  EXPECT_FALSE(book.touch("not-a-session", 0));
}

TEST(ConsoleSessions, IdsAndCsrfTokensAreDistinctAndLogoutEndsIt) {
  SessionBook book;
  auto a = book.start("sam", ConsoleRole::Dsl, 0);
  auto b = book.start("sam", ConsoleRole::Dsl, 0);
  EXPECT_NE(a, b);
  EXPECT_NE(book.touch(a, 1)->csrf, book.touch(b, 1)->csrf);
  EXPECT_NE(book.touch(a, 1)->csrf, a);
  book.end(a);
  EXPECT_FALSE(book.touch(a, 2));
  book.endUser("sam");
  EXPECT_FALSE(book.touch(b, 2));
  EXPECT_TRUE(sameToken(a, a));
  EXPECT_FALSE(sameToken(a, b));
  EXPECT_FALSE(sameToken("", ""));
}

TEST(ConsoleThrottle, FiveFailuresForANameFromAnAddressRefuseItThereForFifteenMinutes) {
  LoginThrottle throttle;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(throttle.allowed("sam", "10.0.0.1", i));
    throttle.failed("sam", "10.0.0.1", i);
  }
  EXPECT_FALSE(throttle.allowed("sam", "10.0.0.1", 10));
  EXPECT_TRUE(throttle.allowed("sam", "10.0.0.2", 10));   // the DSL at their own desk is not
  EXPECT_TRUE(throttle.allowed("alex", "10.0.0.1", 10));  // locked out; another name neither
  EXPECT_FALSE(throttle.allowed("sam", "10.0.0.1", LoginThrottle::kWindowMs - 1));
  EXPECT_TRUE(throttle.allowed("sam", "10.0.0.1", LoginThrottle::kWindowMs));
}

TEST(ConsoleThrottle, FiftyFailuresForANameFromManyAddressesRefuseItEverywhere) {
  LoginThrottle throttle;
  for (int i = 0; i < 50; ++i) {
    std::string address = "10.0.1." + std::to_string(i / 4);  // 4 from each: none refused alone
    ASSERT_TRUE(throttle.allowed("dsl", address, i)) << i;
    throttle.failed("dsl", address, i);
  }
  EXPECT_FALSE(throttle.allowed("dsl", "10.0.9.9", 60));
  EXPECT_TRUE(throttle.allowed("officer", "10.0.9.9", 60));
  throttle.undo("dsl", "10.0.1.12");  // a failure counted before the check, taken back
  EXPECT_TRUE(throttle.allowed("dsl", "10.0.9.9", 60));
}

TEST(ConsoleThrottle, TwentyFailuresFromAnAddressRefuseEveryNameFromIt) {
  LoginThrottle throttle;
  for (int i = 0; i < 20; ++i) throttle.failed("name" + std::to_string(i), "10.0.0.9", i);
  EXPECT_FALSE(throttle.allowed("someone-else", "10.0.0.9", 100));
  EXPECT_TRUE(throttle.allowed("someone-else", "10.0.0.10", 100));
  throttle.failed("sam", "10.0.0.1", 0);
  throttle.succeeded("sam");
  for (int i = 0; i < 4; ++i) throttle.failed("sam", "10.0.0.1", 1);
  EXPECT_TRUE(throttle.allowed("sam", "10.0.0.1", 2));  // the success cleared the first
}

TEST(ConsoleHtml, HostileTextIsEscapedEverywhere) {
  std::string hostile = "<script>alert('x')</script>\" onmouseover=\"x\" & \x01\x7f\xff";
  auto out = escapeHtml(hostile);
  EXPECT_EQ(out.find('<'), std::string::npos) << out;
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('"'), std::string::npos);
  EXPECT_EQ(out.find('\''), std::string::npos);
  EXPECT_EQ(out.find('\x01'), std::string::npos);
  EXPECT_EQ(out.find('\x7f'), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;alert(&#39;x&#39;)"), std::string::npos) << out;
  EXPECT_NE(out.find("&quot; onmouseover=&quot;x&quot; &amp;"), std::string::npos);
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);  // invalid UTF-8 replaced
  EXPECT_EQ(escapeHtml("Zoë O'Brien-Łukasz"), "Zoë O&#39;Brien-Łukasz");
  // The page frame escapes what it is given too.
  auto page = consolePage({"<b>t</b>", "<i>school</i>", "", "<u>", "r", "\"x"}, "");
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_EQ(page.find("<i>"), std::string::npos);
  EXPECT_EQ(page.find("<u>"), std::string::npos);
  EXPECT_NE(page.find("<html lang=\"en-GB\">"), std::string::npos);
  EXPECT_NE(page.find("<main id=\"main\">"), std::string::npos);
}

TEST(ConsoleSchool, EveryConsoleLinkAndFormKeepsTheSchool) {
  std::string html =
      "<a href=\"/console/pupils/B801200005001?day=2024-09-16#day\">d</a>"
      "<a href=\"/console/outbox?state=dead&amp;sink=la\">o</a>"
      "<a href=\"/console/\">h</a><a href=\"#year\">y</a><a href=\"https://example.org/\">x</a>"
      "<a href=\"/console/?school=140002\">other</a>"
      "<form class=\"filters-form\" method=\"get\" action=\"/console/pupils\"><select>"
      "<form class=\"inline\" method=\"post\" action=\"/console/outbox/12/retry\"><input>";
  auto kept = keepSchool(html, "140001");
  EXPECT_NE(
      kept.find("href=\"/console/pupils/B801200005001?day=2024-09-16&amp;school=140001#day\""),
      std::string::npos)
      << kept;
  EXPECT_NE(kept.find("href=\"/console/outbox?state=dead&amp;sink=la&amp;school=140001\""),
            std::string::npos);
  EXPECT_NE(kept.find("href=\"/console/?school=140001\">h<"), std::string::npos);
  EXPECT_NE(kept.find("href=\"#year\""), std::string::npos);
  EXPECT_NE(kept.find("href=\"https://example.org/\""), std::string::npos);
  EXPECT_NE(kept.find("href=\"/console/?school=140002\">other<"), std::string::npos);
  // A GET form's action loses its query in a browser: the school is a hidden field too.
  EXPECT_NE(kept.find("action=\"/console/pupils?school=140001\"><input type=\"hidden\" "
                      "name=\"school\" value=\"140001\"><select>"),
            std::string::npos)
      << kept;
  EXPECT_NE(kept.find("action=\"/console/outbox/12/retry?school=140001\"><input>"),
            std::string::npos);
  // A single school's console: nothing changes.
  EXPECT_EQ(keepSchool(html, ""), html);
  EXPECT_EQ(withSchool("/console/outbox?done=retry&item=3", "140001"),
            "/console/outbox?done=retry&item=3&school=140001");
  EXPECT_EQ(withSchool("/console/login", ""), "/console/login");
  // The frame: the school's name and URN in the banner, the switcher (labelled, each school by
  // name and URN, escaped), the style sheet's link left alone; no switcher without a user.
  PageFrame frame{"Outbox", "Brook <b>", "outbox", "sam", "technician", "t"};
  frame.urn = "140002";
  frame.schools = {{"140001", "Abbey \"Primary\""}, {"140002", "Brook <b>"}};
  auto page = consolePage(frame, "");
  EXPECT_NE(page.find("Markbridge &middot; Brook &lt;b&gt; (140002)"), std::string::npos) << page;
  EXPECT_NE(page.find("<form class=\"switcher\" method=\"get\" action=\"/console/outbox\"><label "
                      "for=\"school-switcher\">School</label>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<option value=\"140001\">Abbey &quot;Primary&quot; (140001)</option>"
                      "<option value=\"140002\" selected>Brook &lt;b&gt; (140002)</option>"),
            std::string::npos);
  EXPECT_NE(page.find("href=\"/console/style.css\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/console/schools?school=140002\""), std::string::npos);
  frame.user.clear();
  EXPECT_EQ(consolePage(frame, "").find("switcher"), std::string::npos);
}

TEST(ConsoleUsersFile, WrittenOwnerOnlyAndReadBack) {
  test::TempDir dir;
  auto file = dir / "users";
  std::vector<ConsoleUser> users = {
      {"sam.tech", ConsoleRole::Technician, hashPassword("pw", ScryptCost{1024, 8, 1})},
      {"dsl@school", ConsoleRole::Dsl, hashPassword("pw2", ScryptCost{1024, 8, 1})}};
  writeConsoleUsers(file, users);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto back = readConsoleUsers(file);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].name, "dsl@school");
  EXPECT_EQ(back[1].role, ConsoleRole::Dsl);
  EXPECT_TRUE(verifyPassword("pw2", back[1].password_hash));
}

TEST(ConsoleUsersFile, AFileOthersCanReadOrABadLineIsRefusedNamingIt) {
  test::TempDir dir;
  auto file = dir / "users";
  writeConsoleUsers(file, {{"sam", ConsoleRole::Technician, hashPassword("pw", {1024, 8, 1})}});
  ::chmod(file.c_str(), 0644);
  try {
    readConsoleUsers(file);
    FAIL() << "a world-readable users file was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  ::chmod(file.c_str(), 0600);
  std::ofstream(file, std::ios::app) << "pat:headteacher:x\n";
  try {
    readConsoleUsers(file);
    FAIL() << "an unknown role was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ":3: unknown role 'headteacher'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(readConsoleUsers(dir / "none", true).empty());
  EXPECT_TRUE(userNameProblem("bad name"));
  EXPECT_TRUE(userNameProblem("a:b"));
  EXPECT_FALSE(userNameProblem("j.smith@school-1"));
}

TEST(ConsoleHtml, ATechnicianGetsTheHttpStatusOfAnAnswerNeverItsText) {
  std::string answer =
      R"(sink la: HTTP 422: {"error":"pupil B801200005001 (Zo\u00eb O\u0027Brien, ZOE) unknown"})";
  auto shown = outcomeOnly(answer);
  EXPECT_EQ(shown, "HTTP 422 (ask the attendance officer or DSL to read the answer)");
  EXPECT_EQ(outcomeOnly("connection refused by Zoe's server"),
            "no HTTP answer (ask the attendance officer or DSL to read the answer)");
}

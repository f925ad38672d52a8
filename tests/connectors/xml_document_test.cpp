// What an XML export must be before anything of it is read: in the encoding it declares, well-
// formed (pugixml lets several faults through), and within the limits that bound memory.

#include "connectors/inbound/common/xml_document.h"

#include <gtest/gtest.h>

#include "connectors/inbound/common/xml_well_formed.h"

using namespace markbridge;

namespace {

struct Loaded {
  bool ok = false;
  std::vector<Problem> problems;
  std::string text;  // of <S>, when loaded
};

Loaded load(const std::string& bytes) {
  XmlDocument doc;
  Loaded loaded;
  loaded.ok = doc.load(bytes, "in.xml", loaded.problems);
  if (loaded.ok) loaded.text = doc.root().child("S").child_value();
  return loaded;
}

// The one problem of a refused file, with where it is and what it found.
std::string refusal(const std::string& bytes) {
  auto loaded = load(bytes);
  if (loaded.ok) return "accepted";
  if (loaded.problems.size() != 1) return std::to_string(loaded.problems.size()) + " problems";
  const auto& p = loaded.problems[0];
  return std::to_string(p.line) + ":" + std::to_string(p.column) + " " + p.value;
}

bool says(const std::string& bytes, const std::string& words) {
  auto loaded = load(bytes);
  return !loaded.ok && !loaded.problems.empty() &&
         loaded.problems[0].message.find(words) != std::string::npos;
}

}  // namespace

TEST(XmlDocument, AnUndeclaredEntityIsRefusedNotStoredLiterally) {
  EXPECT_EQ(refusal("<a>\n<S>Zo&xxe;</S></a>"), "2:6 &xxe;");
  EXPECT_TRUE(says("<a><S>&xxe;</S></a>", "undeclared entity &xxe;"));
  EXPECT_EQ(refusal("<a><S x=\"&foo;\"/></a>"), "1:10 &foo;");
  EXPECT_EQ(refusal("<a><S>fish & chips</S></a>"), "1:12 & chips");
  // The five predefined entities and character references are XML.
  auto fine = load("<a><S>O&apos;Brien &amp; &#x141;ukasz &#233;</S></a>");
  ASSERT_TRUE(fine.ok) << fine.problems[0].str();
  EXPECT_EQ(fine.text, "O'Brien & Łukasz é");
}

TEST(XmlDocument, ACharacterReferenceToNoCharacterIsRefusedNotATruncatedName) {
  EXPECT_EQ(refusal("<a><S>Zo&#0;e</S></a>"), "1:9 &#0;");
  EXPECT_TRUE(says("<a><S>&#x0;</S></a>", "character reference &#x0; is not a character"));
  EXPECT_EQ(refusal("<a><S>&#xD800;</S></a>"), "1:7 &#xD800;");
  EXPECT_EQ(refusal("<a><S>&#99999999999;</S></a>"), "1:7 &#99999999999;");
  EXPECT_EQ(refusal("<a><S>&#1;</S></a>"), "1:7 &#1;");
  EXPECT_EQ(refusal("<a><S>a\x01</S></a>"), "1:8 0x01");
}

TEST(XmlDocument, JunkAfterTheRootElementIsRefused) {
  EXPECT_EQ(refusal("<a><S>x</S></a>\njunk"), "2:1 junk");
  EXPECT_TRUE(says("<a/><b/>", "a second root element"));
  EXPECT_TRUE(says("text<a/>", "text before the root element"));
  // Whitespace, comments and processing instructions may follow.
  EXPECT_TRUE(load("<?xml version=\"1.0\"?>\n<a><S>x</S></a>\n<!-- end -->\n<?pi x?>\n").ok);
}

TEST(XmlDocument, ADuplicateAttributeIsRefused) {
  EXPECT_EQ(refusal("<a>\n  <S id=\"1\" id=\"2\"/></a>"), "2:13 id");
  EXPECT_TRUE(says("<a x='1' x='1'/>", "attribute x appears twice on <a>"));
  EXPECT_TRUE(load("<a x='1' y='1'/>").ok);
}

TEST(XmlDocument, TheDoctypeRefusalStays) {
  EXPECT_TRUE(
      says("<!DOCTYPE a [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><a>&xxe;</a>", "DOCTYPE"));
  // ... and names where the declaration starts.
  EXPECT_EQ(refusal("<?xml version=\"1.0\"?>\n\n  <!DOCTYPE a [<!ENTITY x \"y\">]><a/>"),
            "3:3 <!DOCTYPE");
}

TEST(XmlDocument, AFileThatSaysUtf8OrNothingMustBeUtf8) {
  // A Windows-1252 'ë' in a file that declares UTF-8, or declares nothing (which means UTF-8).
  EXPECT_EQ(refusal("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a><S>Zo\xEB</S></a>"),
            "2:9 0xEB");
  EXPECT_TRUE(says("<a><S>Zo\xEB</S></a>", "byte 0xEB here is not"));
  // A UTF-8 encoded surrogate and an overlong '/' are not UTF-8 either.
  EXPECT_EQ(refusal("<a><S>\xED\xA0\x80</S></a>"), "1:7 0xED");
  EXPECT_EQ(refusal("<a><S>\xC0\xAF</S></a>"), "1:7 0xC0");
  // Columns count characters: 'Ł' and 'ü' are one each.
  EXPECT_EQ(refusal("<a><S>Łü\xFF</S></a>"), "1:9 0xFF");
  auto bom = load("\xEF\xBB\xBF<a><S>Zoë</S></a>");
  ASSERT_TRUE(bom.ok);
  EXPECT_EQ(bom.text, "Zoë");
}

TEST(XmlDocument, TheEncodingAFileDeclaresIsRead) {
  auto cp1252 = load("<?xml version=\"1.0\" encoding=\"windows-1252\"?><a><S>Zo\xEB \x80</S></a>");
  ASSERT_TRUE(cp1252.ok) << cp1252.problems[0].str();
  EXPECT_EQ(cp1252.text, "Zoë €");
  auto latin1 = load("<?xml version='1.0' encoding='ISO-8859-1'?><a><S>Zo\xEB</S></a>");
  ASSERT_TRUE(latin1.ok);
  EXPECT_EQ(latin1.text, "Zoë");
  EXPECT_EQ(refusal("<?xml version='1.0' encoding='windows-1252'?>\n<a><S>\x81</S></a>"),
            "2:7 0x81");
  EXPECT_EQ(refusal("<?xml version='1.0' encoding='us-ascii'?><a><S>\xC3\xAB</S></a>"),
            "1:48 0xC3");
  EXPECT_TRUE(says("<?xml version='1.0' encoding='EBCDIC-37'?><a/>", "does not read"));
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("<a><S>Zo\xEB</S></a>")) utf16 += std::string{c, '\0'};
  auto wide = load(utf16);
  ASSERT_TRUE(wide.ok) << wide.problems[0].str();
  EXPECT_EQ(wide.text, "Zo\xC3\xAB");
}

TEST(XmlDocument, DepthElementsAttributesAndTextAreBounded) {
  std::string deep;
  for (int i = 0; i < XmlLimits::kMaxDepth + 1; ++i) deep += "<d>";
  EXPECT_EQ(refusal(deep), "1:" + std::to_string(3 * XmlLimits::kMaxDepth + 1) + " <d>");
  EXPECT_TRUE(says(deep, "nest deeper than the limit of 32"));
  std::string allowed;
  for (int i = 0; i < XmlLimits::kMaxDepth; ++i) allowed = "<d>" + allowed + "</d>";
  EXPECT_TRUE(load(allowed).ok);

  std::string text(XmlLimits::kMaxTextBytes + 1, 'x');
  EXPECT_EQ(refusal("<a><S>" + text + "</S></a>"), "1:7 65537 bytes");
  EXPECT_TRUE(load("<a><S>" + text.substr(1) + "</S></a>").ok);

  std::string attributes = "<a";
  for (std::size_t i = 0; i <= XmlLimits::kMaxAttributes; ++i)
    attributes += " a" + std::to_string(i) + "='1'";
  EXPECT_TRUE(says(attributes + "/>", "more attributes on one element than the limit of 16"));

  // Elements, attributes and text all count: each is a node in memory.
  // <a> and 499,999 of <b c='1'>x</b> are 1,499,998 nodes: two more fit, three do not.
  std::string many = "<a>";
  for (std::size_t i = 0; i < (XmlLimits::kMaxNodes - 1) / 3; ++i) many += "<b c='1'>x</b>";
  EXPECT_FALSE(findXmlFault(many + "<b/><b/></a>"));  // the check alone: no document built
  auto over = findXmlFault(many + "<b/><b/><b/></a>");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->value, "1500001 nodes");
  EXPECT_EQ(over->message,
            "more elements, attributes and pieces of text than the limit of 1500000");
}

TEST(XmlDocument, AFileOverTheSizeLimitIsRefusedBeforeParsing) {
  std::string big = "<a>" + std::string(XmlLimits::kMaxFileBytes, ' ') + "</a>";
  EXPECT_TRUE(says(big, "bigger than the limit of 33554432 bytes"));
}

TEST(XmlDocument, LinesAndColumnsAreFoundFarIntoALargeFile) {
  // Many lines, then a fault: positions come from a sparse index, not one entry per line.
  std::string lines = "<a>";
  for (int i = 0; i < 20000; ++i) lines += "\n<b>é</b>";
  EXPECT_EQ(refusal(lines + "\n   <b>&bad;</b></a>"), "20002:7 &bad;");
}

TEST(XmlDocument, AFieldGivenTwiceInOneElementIsRefusedWhereTheSecondStands) {
  XmlDocument doc;
  std::vector<Problem> problems;
  const std::string origin = "in.xml";  // the document keeps a reference to it
  ASSERT_TRUE(doc.load("<Pupil>\n  <UPN>A</UPN>\n  <UPN>B</UPN>\n</Pupil>", origin, problems));
  EXPECT_FALSE(doc.boundedText(doc.root(), "UPN", 32, problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_NE(problems[0].message.find("UPN is given twice in one <Pupil>"), std::string::npos);
}

#pragma once
// What the XML file connectors (CTF, School Census) share: reading their files and drop folder,
// loading each file safely (connectors/inbound/common/xml_document.h), checking the root
// element, and building the batch. A subclass reads the document's content.

#include <string>
#include <string_view>

#include "connectors/inbound/common/batch_builder.h"
#include "connectors/inbound/common/source_config.h"
#include "connectors/inbound/common/xml_document.h"
#include "connectors/inbound/inbound_connector.h"

namespace markbridge {

class XmlFileConnector : public InboundConnector {
 public:
  XmlFileConnector(std::string root, std::string format)
      : root_(std::move(root)), format_(std::move(format)) {}
  const std::string& name() const override { return source().name; }
  void pull(ImportReceiver& into) override;
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  void parse(std::string_view bytes, const std::string& origin, const std::string& fingerprint,
             ImportReceiver& into) const;
  // Gathered whole (tests and fuzzing).
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;

 protected:
  // The subclass's configuration: its name, files, drop folder and priority.
  virtual const FileSourceConfig& source() const = 0;
  // Reads a well-formed document whose root element is the expected one.
  virtual void readDocument(const XmlDocument& doc, const std::string& origin,
                            BatchBuilder& builder, const PupilDirectory& directory) const = 0;

 private:
  std::string root_;    // the root element the format has
  std::string format_;  // its name, for messages
};

}  // namespace markbridge

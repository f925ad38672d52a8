#include "connectors/inbound/common/xml_file_connector.h"

#include "connectors/inbound/common/drop_folder.h"
#include "connectors/inbound/common/source_file.h"
#include "connectors/inbound/common/xml_well_formed.h"
#include "core/domain/digest.h"

namespace markbridge {

void XmlFileConnector::pull(ImportReceiver& into) {
  pullFiles(source(), into,
            [&](const std::filesystem::path& file, ImportReceiver& to) { read(file, to); });
}

void XmlFileConnector::read(const std::filesystem::path& file, ImportReceiver& into) {
  readInboundFile(
      file, source().name, into, counters_,
      [&](const std::filesystem::path& path, const std::string& fingerprint, ImportReceiver& to) {
        std::error_code sizeError;
        auto size = std::filesystem::file_size(path, sizeError);
        if (!sizeError && size > XmlLimits::kMaxFileBytes) {
          // Refused unread: reading a hostile file whole is what is to be avoided.
          BatchBuilder builder(to, source().name, path.string(), source().priority);
          builder.problem(0, 0, std::to_string(size) + " bytes",
                          "refused: bigger than the limit of " +
                              std::to_string(XmlLimits::kMaxFileBytes) + " bytes for one XML file");
          builder.finish(fingerprint);
          return;
        }
        std::string error;
        auto content = readSourceFile(path, error);
        parse(content ? std::string_view(*content) : std::string_view{}, path.string(), fingerprint,
              to);
      });
}

ImportBatch XmlFileConnector::parse(std::string_view bytes, const std::string& origin) const {
  BatchCollector collector;
  parse(bytes, origin, contentFingerprint(bytes), collector);
  return std::move(collector.batches.back());
}

void XmlFileConnector::parse(std::string_view bytes, const std::string& origin,
                             const std::string& fingerprint, ImportReceiver& into) const {
  BatchBuilder builder(into, source().name, origin, source().priority);
  XmlDocument doc;
  if (doc.load(bytes, origin, builder.batch().problems)) {
    auto root = doc.root();
    if (root_ != root.name()) {
      auto [line, column] = doc.position(root);
      builder.problem(line, column, root.name(),
                      "not a " + format_ + ": the root element must be " + root_);
    } else {
      readDocument(doc, origin, builder, into.directory());
    }
  }
  builder.finish(fingerprint);
}

}  // namespace markbridge

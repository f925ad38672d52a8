#include "connectors/inbound/common/text_feed.h"

#include <cerrno>
#include <cstring>

namespace markbridge {

TextFeed::TextFeed(std::string_view bytes, TextEncoding encoding, std::size_t blockBytes)
    : memory_(bytes), blockBytes_(blockBytes), decoder_(encoding) {}

TextFeed::TextFeed(const std::filesystem::path& file, TextEncoding encoding, bool fingerprint)
    : file_(file, std::ios::binary), fromFile_(true), hashing_(fingerprint), decoder_(encoding) {
  if (!file_) {
    error_ = std::string("cannot open: ") + std::strerror(errno);
    finished_ = true;
  }
}

bool TextFeed::next(std::string& out) {
  if (finished_) return false;
  std::string_view bytes;
  bool last = false;
  if (fromFile_) {
    block_.resize(kBlockBytes);
    file_.read(block_.data(), static_cast<std::streamsize>(block_.size()));
    block_.resize(static_cast<std::size_t>(file_.gcount()));
    if (file_.bad()) {
      error_ = std::string("read failed: ") + std::strerror(errno);
      finished_ = true;
      return false;
    }
    last = file_.eof() || block_.empty();
    bytes = block_;
  } else {
    bytes = memory_.substr(0, blockBytes_);
    memory_.remove_prefix(bytes.size());
    last = memory_.empty();
  }
  if (hashing_) sha_.update(bytes);
  bytesRead_ += bytes.size();
  std::size_t before = out.size();
  if (!decoder_.decode(bytes, last, out)) {
    error_ =
        "cannot decode as " + std::string(toString(decoder_.detected())) + ": " + decoder_.error();
    finished_ = true;
    return false;
  }
  if (last) finished_ = true;
  return out.size() > before || !finished_;
}

std::string TextFeed::fingerprint() {
  if (fingerprint_.empty() && hashing_) fingerprint_ = sha_.hex();
  return fingerprint_;
}

}  // namespace markbridge

#include "connectors/inbound/mis_rest/mis_rest_page.h"

#include <nlohmann/json.hpp>

namespace markbridge {
namespace {

// The text at a dotted path: strings as they are, numbers written out, null or absent empty.
std::string at(const nlohmann::json& item, std::string_view path) {
  const nlohmann::json* node = &item;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string key(path.substr(0, dot));
    if (!node->is_object()) return {};
    auto found = node->find(key);
    if (found == node->end()) return {};
    node = &*found;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number() || node->is_boolean()) return node->dump();
  return {};
}

}  // namespace

MisPage parseMisPage(std::string_view body, const MisFieldPaths& paths) {
  MisPage page;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    page.error = "the response is not a JSON object";
    return page;
  }
  auto data = json.find("data");
  if (data == json.end() || !data->is_array()) {
    page.error = "the response has no `data` array";
    return page;
  }
  int index = 0;
  for (const auto& item : *data) {
    ++index;
    if (!item.is_object()) {
      page.error = "data[" + std::to_string(index - 1) + "] is not an object";
      return page;
    }
    page.items.push_back(MisItem{index, at(item, paths.upn), at(item, paths.mis_id),
                                 at(item, paths.forename), at(item, paths.surname),
                                 at(item, paths.date).substr(0, 10), at(item, paths.session),
                                 at(item, paths.code), at(item, paths.updated_at).substr(0, 19)});
  }
  if (auto meta = json.find("meta"); meta != json.end() && meta->is_object())
    if (auto pagination = meta->find("pagination");
        pagination != meta->end() && pagination->is_object())
      if (auto next = pagination->find("next"); next != pagination->end() && next->is_string())
        page.next = next->get<std::string>();
  return page;
}

}  // namespace markbridge

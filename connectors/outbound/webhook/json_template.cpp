#include "connectors/outbound/webhook/json_template.h"

namespace markbridge {
namespace {

const nlohmann::json* lookup(const nlohmann::json& context, const std::string& path) {
  const nlohmann::json* at = &context;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return at;
}

std::string asText(const nlohmann::json* value) {
  if (!value || value->is_null()) return "";
  return value->is_string() ? value->get<std::string>() : value->dump();
}

std::string trimmed(const std::string& s) {
  auto a = s.find_first_not_of(' ');
  auto b = s.find_last_not_of(' ');
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::string renderText(const std::string& text, const nlohmann::json& context) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    auto open = text.find("{{", at);
    auto close = open == std::string::npos ? open : text.find("}}", open);
    if (close == std::string::npos) return out + text.substr(at);
    out += text.substr(at, open - at);
    out += asText(lookup(context, trimmed(text.substr(open + 2, close - open - 2))));
    at = close + 2;
  }
}

nlohmann::json renderTemplate(const nlohmann::json& tmpl, const nlohmann::json& context) {
  if (tmpl.is_string()) {
    const auto& s = tmpl.get_ref<const std::string&>();
    if (s.size() > 4 && s.rfind("{{", 0) == 0 && s.find("{{", 2) == std::string::npos &&
        s.compare(s.size() - 2, 2, "}}") == 0) {
      const auto* value = lookup(context, trimmed(s.substr(2, s.size() - 4)));
      return value ? *value : nlohmann::json();
    }
    return renderText(s, context);
  }
  if (tmpl.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : tmpl.items()) out[key] = renderTemplate(value, context);
    return out;
  }
  if (tmpl.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& value : tmpl) out.push_back(renderTemplate(value, context));
    return out;
  }
  return tmpl;
}

std::vector<std::string> templatePaths(const nlohmann::json& tmpl) {
  std::vector<std::string> paths;
  if (tmpl.is_string()) {
    const auto& s = tmpl.get_ref<const std::string&>();
    for (auto open = s.find("{{"); open != std::string::npos; open = s.find("{{", open + 2)) {
      auto close = s.find("}}", open);
      if (close == std::string::npos) break;
      paths.push_back(trimmed(s.substr(open + 2, close - open - 2)));
    }
  } else if (tmpl.is_structured()) {
    for (const auto& value : tmpl) {
      auto inner = templatePaths(value);
      paths.insert(paths.end(), inner.begin(), inner.end());
    }
  }
  return paths;
}

}  // namespace markbridge

#include "jobhost_connectors/rest_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>
#include <thread>

namespace jobhost::connectors {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Kind = ApiError::Kind;

// A failure the retry loop in send() may try again; what() is the reason for messages.
class Transient : public ApiError {
 public:
  Transient(int status, const std::string& reason) : ApiError(Kind::kRetryable, status, reason) {}
};

// "Airflow API", "ADF API": short type names are acronyms.
std::string api_title(std::string type) {
  if (type.empty()) return "API";
  auto upper = [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); };
  if (type.size() <= 3)
    std::transform(type.begin(), type.end(), type.begin(), upper);
  else
    type[0] = upper(type[0]);
  return type + " API";
}

bool is_absolute(std::string_view path) {
  auto starts = [&](std::string_view p) {
    return path.size() >= p.size() && std::equal(p.begin(), p.end(), path.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  return starts("http://") || starts("https://");
}

std::string redacted_url(const std::string& url) {
  try {
    return http::Url::parse(url).redacted();
  } catch (const http::HttpError&) {
    return "(invalid URL)";
  }
}

// Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3); nullopt when absent or
// unreadable.
std::optional<milliseconds> retry_after(const http::Response& res) {
  auto value = res.header("Retry-After");
  if (!value) return std::nullopt;
  std::string v = *value;
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return milliseconds(std::min<long long>(std::stoll(v.substr(0, 9)), 86400) * 1000);
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto delta = std::chrono::duration_cast<milliseconds>(at - std::chrono::system_clock::now());
  return std::clamp(delta, milliseconds(0), milliseconds(86400 * 1000));
}

// Full jitter (uniform in [0, min(cap, base * 2^(failures-1))]): clients that failed
// together do not retry together.
milliseconds backoff(const RetryPolicy& policy, int failures) {
  milliseconds ceiling = std::max(policy.base, milliseconds(1));
  for (int i = 1; i < failures && ceiling < policy.cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, std::max(policy.cap, milliseconds(1)));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return milliseconds(std::uniform_int_distribution<int64_t>(0, ceiling.count())(rng));
}

std::string plural_tries(int n) { return std::to_string(n) + (n == 1 ? " try" : " tries"); }

// "Airflow API: trigger DAG 'x'", the start of every message about a call.
std::string describe(const Connection& connection, const Call& call, const std::string& url) {
  return api_title(connection.type()) + ": " +
         (call.what.empty() ? call.method + " " + redacted_url(url) : call.what);
}

// The reply of a 2xx: its body parsed (null when empty); malformed JSON is worth another
// attempt, not another request (the request may have had its effect).
Reply parse_reply(const Connection& connection, const std::string& about, const std::string& url,
                  http::Response& res) {
  Reply reply;
  reply.status = res.status;
  reply.location = res.header("Location").value_or("");
  if (res.body.find_first_not_of(" \t\r\n") == std::string::npos) return reply;
  boost::system::error_code ec;
  reply.json = boost::json::parse(res.body, ec);
  if (ec) {
    const Redactor& redactor = connection.redactor();
    throw ApiError(Kind::kRetryable, res.status,
                   redactor.scrub(about + ": malformed JSON from " + redacted_url(url) + " (HTTP " +
                                  std::to_string(res.status) + "): " +
                                  snippet(redactor.scrub(res.body), 120)));
  }
  return reply;
}

// Throws the error a non-2xx answer means (401 with fresh credentials is handled by the
// caller). Sets `wait` to the server's Retry-After for a retryable status.
[[noreturn]] void throw_for_status(const Connection& connection, const Call& call,
                                   const std::string& about, const http::Response& res,
                                   milliseconds& wait) {
  const Redactor& redactor = connection.redactor();
  std::string message = engine_message(res.body, redactor);
  if (message.empty()) message = snippet(redactor.scrub(res.reason), 80);
  const std::string said = message.empty() ? "" : ": " + message;
  const std::string code = "HTTP " + std::to_string(res.status);
  const std::string who = "connection " + connection.name();
  auto error = [&](Kind kind, const std::string& text) {
    return ApiError(kind, res.status, redactor.scrub(text));
  };
  switch (res.status) {
    case 429: case 500: case 502: case 503: case 504:
      wait = retry_after(res).value_or(milliseconds(-1));
      throw Transient(res.status, redactor.scrub(code + said));
    case 400: case 401:
      if (!call.authenticate) throw error(Kind::kAuth, "authentication failed for " + who + said);
      if (res.status == 401) throw error(Kind::kAuth, "authentication failed for " + who + " (HTTP 401)");
      break;
    case 403: throw error(Kind::kAuth, "permission denied for " + who + said);
    case 404: throw error(Kind::kNotFound, about + ": not found (" + code + ")" + said);
    case 409: throw error(Kind::kConflict, about + ": conflict (" + code + ")" + said);
    default: break;
  }
  if (res.status >= 300 && res.status < 400)
    throw error(Kind::kFatal, about + ": " + code + " redirect to " +
                                  redacted_url(res.header("Location").value_or("")) +
                                  " (redirects are not followed: check the connection's url)");
  throw error(Kind::kFatal, about + ": " + code + said);
}

// The kRetryable error once a call gives up: "Airflow API: trigger DAG 'x': HTTP 503 after 6
// tries: <engine message>", or "...: <transport error> (after 6 tries)".
ApiError exhausted(const std::string& about, const Transient& last, int n, int tries,
                   const Redactor& redactor) {
  const std::string tried = n > 1 || tries > 1 ? plural_tries(n) : "";
  if (last.status() == 0)
    return ApiError(Kind::kRetryable, 0,
                    redactor.scrub(about + ": " + last.what() + (tried.empty() ? "" : " (after " + tried + ")")));
  const std::string reason = last.what();  // "HTTP 503" or "HTTP 503: message"
  const size_t colon = std::min(reason.find(':'), reason.size());
  return ApiError(Kind::kRetryable, last.status(),
                  redactor.scrub(about + ": " + reason.substr(0, colon) +
                                 (tried.empty() ? "" : " after " + tried) + reason.substr(colon)));
}

}  // namespace

RetryPolicy RetryPolicy::from(const Connection& connection) {
  RetryPolicy p;
  const int64_t retries = connection.integer("max_retries").value_or(p.max_attempts - 1);
  if (retries < 0 || retries > 20) connection.fail("'max_retries' must be between 0 and 20");
  p.max_attempts = static_cast<int>(retries) + 1;
  p.base = connection.duration("retry_backoff", p.base);
  p.cap = connection.duration("retry_backoff_max", p.cap);
  return p;
}

RestClient::RestClient(const Connection& connection, std::shared_ptr<Authenticator> auth,
                       std::function<bool()> cancelled, std::function<void(const std::string&)> log)
    : connection_(connection),
      auth_(auth ? std::move(auth) : no_auth()),
      cancelled_(std::move(cancelled)),
      log_(std::move(log)),
      policy_(RetryPolicy::from(connection)),
      http_(connection.client_options()) {}

http::Response RestClient::raw(http::Request request) {
  if (!request.cancelled && cancelled_) request.cancelled = cancelled_;
  return http_.send(request);
}

// Tries the call until it succeeds, fails for good, runs out of tries, or the next wait would
// end past the budget or the deadline.
Reply RestClient::send(const Call& call) {
  const Redactor& redactor = connection_.redactor();
  const std::string about =
      describe(connection_, call, is_absolute(call.path) ? call.path : connection_.url() + call.path);
  auto is_cancelled = [&] { return cancelled_ && cancelled_(); };
  auto cancelled_error = [&](const char* when) {
    return ApiError(Kind::kCancelled, 0, redactor.scrub(about + ": cancelled" + when));
  };
  auto end = Clock::now() + policy_.budget;
  if (deadline_) end = std::min(end, *deadline_);
  const int tries = call.retry ? std::max(1, policy_.max_attempts) : 1;
  bool refreshed = false;
  for (int n = 1;; ++n) {
    if (is_cancelled()) throw cancelled_error("");
    bool retry_now = false;
    milliseconds wait = std::chrono::duration_cast<milliseconds>(end - Clock::now());
    try {
      Reply reply = attempt(call, retry_now, wait, refreshed);
      if (!retry_now) return reply;
      --n;  // the retry with fresh credentials is not one of the call's tries
    } catch (const Transient& t) {
      auto final_error = [&] { return exhausted(about, t, n, tries, redactor); };
      if (n >= tries) throw final_error();
      const milliseconds delay = wait.count() >= 0 ? wait : backoff(policy_, n);
      const auto resume = Clock::now() + delay;
      if (resume >= end) throw final_error();  // waiting alone would pass the budget or deadline
      if (log_)
        log_(redactor.scrub(about + ": " + t.what() + " (try " + std::to_string(n) + " of " +
                            std::to_string(tries) + "); retrying in " +
                            std::to_string(delay.count()) + " ms"));
      for (auto now = Clock::now(); now < resume; now = Clock::now()) {
        if (is_cancelled()) throw cancelled_error(" while waiting to retry");
        std::this_thread::sleep_for(std::min<Clock::duration>(resume - now, milliseconds(20)));
      }
    }
  }
}

// One exchange. Returns the reply, or sets retry_now after a 401 whose credentials were
// refreshed. Throws Transient for what send() may retry and ApiError for everything else.
// `wait` is in and out: on entry the time left for this try (it bounds the request timeout);
// when a Transient is thrown, the server's Retry-After, or negative when it gave none.
Reply RestClient::attempt(const Call& call, bool& retry_now, milliseconds& wait, bool& refreshed) {
  const Redactor& redactor = connection_.redactor();
  const std::string url = is_absolute(call.path) ? call.path : connection_.url() + call.path;
  const std::string about = describe(connection_, call, url);
  http::Request req;
  req.method = call.method;
  req.url = url;
  req.headers.push_back({"Accept", "application/json"});
  if (call.json) {
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = boost::json::serialize(*call.json);
  } else if (!call.form.empty()) {
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.body = call.form;
  }
  if (call.authenticate) auth_->apply(*this, req.headers);
  req.timeout = std::clamp(wait, milliseconds(1), connection_.request_timeout());
  req.cancelled = cancelled_;
  wait = milliseconds(-1);

  http::Response res;
  try {
    res = http_.send(req);
  } catch (const http::HttpError& e) {
    switch (e.kind()) {
      case http::HttpError::Kind::kConnect:
      case http::HttpError::Kind::kTimeout:
      case http::HttpError::Kind::kProtocol:
        throw Transient(0, redactor.scrub(e.what()));
      case http::HttpError::Kind::kCancelled:
        throw ApiError(Kind::kCancelled, 0, redactor.scrub(about + ": cancelled"));
      default:
        throw ApiError(Kind::kFatal, 0, redactor.scrub(about + ": " + e.what()));
    }
  }
  if (res.status >= 200 && res.status < 300) return parse_reply(connection_, about, url, res);
  if (res.status == 401 && call.authenticate && !refreshed) {
    refreshed = true;  // one refresh per call: a second 401 is final
    if (auth_->invalidate()) {
      retry_now = true;
      return {};
    }
  }
  throw_for_status(connection_, call, about, res, wait);
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace jobhost::connectors

#include <doctest/doctest.h>

#include "vipcore/status.hpp"

using namespace vipcore;

TEST_SUITE("status") {
  TEST_CASE("an ok status has no message and converts to 'ok'") {
    Status s;
    CHECK(s.ok());
    CHECK(s.code() == Code::ok);
    CHECK(s.message().empty());
    CHECK(s.to_string() == "ok");
  }

  TEST_CASE("an invalid argument names its field in the message") {
    Status s = Status::invalid_argument("caller_name", "must not be empty");
    CHECK(s.is_invalid_argument());
    CHECK(s.field() == "caller_name");
    CHECK(s.message() == "caller_name: must not be empty");
    CHECK(s.to_string() == "invalid argument: caller_name: must not be empty");
    CHECK(s.with_context("row 3").message() == "row 3: caller_name: must not be empty");
    CHECK(s.with_context("row 3").field() == "caller_name");
  }

  TEST_CASE("each factory sets its code and predicate") {
    CHECK(Status::not_found("x").is_not_found());
    CHECK(Status::already_exists("f", "x").is_already_exists());
    CHECK(Status::permission_denied("x").is_permission_denied());
    CHECK(Status::storage_error("x").is_storage_error());
    CHECK(Status::busy("x").is_busy());
    CHECK(Status::key_error("x").is_key_error());
    CHECK(Status::integrity_error("x").is_integrity_error());
    CHECK(Status::version_error("x").is_version_error());
    CHECK(Status::notifier_error("x").code() == Code::notifier);
    CHECK(Status::internal_error("x").code() == Code::internal);
  }

  TEST_CASE("a result holds a value or a status, never both") {
    Result<int> good(7);
    CHECK(good.ok());
    CHECK(*good == 7);
    CHECK(good.status().ok());
    Result<int> bad(Status::not_found("nothing"));
    CHECK_FALSE(bad.ok());
    CHECK(bad.status().is_not_found());
    Result<int> misuse{ok_status()};  // an ok status without a value is a bug, made visible
    CHECK_FALSE(misuse.ok());
    CHECK(misuse.status().code() == Code::internal);
  }
}

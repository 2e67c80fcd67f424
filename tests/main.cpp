// The unit tests check messages in English unless a test sets the language itself (the
// catalogue test checks both forms of every message; the CLI tests run in both languages).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "runtime/messages.hpp"

int main(int argc, char* argv[]) {
  rb::set_language(rb::Lang::En);
  return Catch::Session().run(argc, argv);
}

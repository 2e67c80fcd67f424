#include <catch2/catch.hpp>

#include "compiler/rulebook_diff.hpp"

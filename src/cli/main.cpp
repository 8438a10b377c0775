#include <sys/stat.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/app.h"

int main(int argc, char** argv) {
  // Everything upsync creates (the store, its journal, library files, keys, logs) is its
  // owner's alone: the data folder holds every tenant's data and the password hashes.
  umask(077);
  std::vector<std::string> args(argv, argv + argc);
  return upsync::run_cli(args, std::cout, std::cerr);
}

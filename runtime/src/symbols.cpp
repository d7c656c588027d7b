// Reads the ELF symbol table (.symtab, which a stripped file lacks) of the
// loaded file holding an address: dladdr names exported symbols only, and
// a trainer's loop nests are internal.
#include "symbols.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace sinter {
namespace {

template <typename T>
bool readAt(std::ifstream &in, uint64_t offset, T *out, size_t count = 1) {
  in.seekg(std::streamoff(offset));
  return bool(in.read(reinterpret_cast<char *>(out),
                      std::streamsize(sizeof(T) * count)));
}

/// The name of the function symbol of `path`, loaded at `base`, covering
/// `address`, or "".
std::string symbolAt(const std::string &path, uintptr_t address,
                     uintptr_t base) {
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header;
  if (!in || !readAt(in, 0, &header) ||
      std::string(reinterpret_cast<char *>(header.e_ident), SELFMAG) !=
          ELFMAG ||
      header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(Elf64_Shdr))
    return "";
  // A position-independent file's symbols are relative to its load base.
  uint64_t offset = header.e_type == ET_DYN ? address - base : address;
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (sections.empty() ||
      !readAt(in, header.e_shoff, sections.data(), sections.size()))
    return "";
  for (const Elf64_Shdr &table : sections) {
    if (table.sh_type != SHT_SYMTAB || table.sh_link >= sections.size() ||
        table.sh_entsize != sizeof(Elf64_Sym))
      continue;
    std::vector<Elf64_Sym> symbols(table.sh_size / sizeof(Elf64_Sym));
    if (!readAt(in, table.sh_offset, symbols.data(), symbols.size()))
      return "";
    for (const Elf64_Sym &sym : symbols) {
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || offset < sym.st_value ||
          offset >= sym.st_value + std::max<uint64_t>(sym.st_size, 1))
        continue;
      const Elf64_Shdr &names = sections[table.sh_link];
      std::string name;
      for (uint64_t at = names.sh_offset + sym.st_name;; ++at) {
        char c;
        if (!readAt(in, at, &c) || c == '\0')
          break;
        name += c;
      }
      return name;
    }
  }
  return "";
}

/// `name` demangled when it is a mangled C++ name.
std::string demangled(const std::string &name) {
  int status = 0;
  char *plain = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (!plain)
    return name;
  std::string result = plain;
  std::free(plain);
  return result;
}

} // namespace

std::string functionName(const void *code) {
  Dl_info info{};
  if (!dladdr(code, &info))
    return "?";
  if (info.dli_sname)
    return demangled(info.dli_sname);
  auto address = reinterpret_cast<uintptr_t>(code),
       base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  // The main program's entry in the link map has no file name.
  std::string path =
      info.dli_fname && *info.dli_fname ? info.dli_fname : "/proc/self/exe";
  std::string name = symbolAt(path, address, base);
  if (!name.empty())
    return demangled(name);
  char buf[32];
  std::snprintf(buf, sizeof buf, "+0x%llx",
                (unsigned long long)(address - base));
  return buf;
}

} // namespace sinter

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
#include <map>
#include <string>
#include <vector>

namespace sinter {
namespace {

template <typename T>
bool readAt(std::ifstream &in, uint64_t offset, T *out, size_t count = 1) {
  in.seekg(std::streamoff(offset));
  return bool(in.read(reinterpret_cast<char *>(out),
                      std::streamsize(sizeof(T) * count)));
}

/// A function symbol: [start, end) in its file's addresses.
struct Symbol {
  uint64_t start, end;
  std::string name;
};

/// The function symbols of the ELF file `path` (none when it cannot be
/// read or has no .symtab), and whether they are relative to its load base
/// (a position-independent file).
struct SymbolTable {
  std::vector<Symbol> functions;
  bool relative = false;
};

SymbolTable readSymbols(const std::string &path) {
  SymbolTable table;
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr header;
  if (!in || !readAt(in, 0, &header) ||
      std::string(reinterpret_cast<char *>(header.e_ident), SELFMAG) !=
          ELFMAG ||
      header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(Elf64_Shdr))
    return table;
  table.relative = header.e_type == ET_DYN;
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (sections.empty() ||
      !readAt(in, header.e_shoff, sections.data(), sections.size()))
    return table;
  for (const Elf64_Shdr &section : sections) {
    if (section.sh_type != SHT_SYMTAB || section.sh_link >= sections.size() ||
        section.sh_entsize != sizeof(Elf64_Sym))
      continue;
    std::vector<Elf64_Sym> symbols(section.sh_size / sizeof(Elf64_Sym));
    const Elf64_Shdr &strtab = sections[section.sh_link];
    std::string names(strtab.sh_size, '\0');
    if (!readAt(in, section.sh_offset, symbols.data(), symbols.size()) ||
        !readAt(in, strtab.sh_offset, names.data(), names.size()))
      return table;
    for (const Elf64_Sym &sym : symbols)
      if (ELF64_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_name < names.size())
        table.functions.push_back(
            {sym.st_value, sym.st_value + std::max<uint64_t>(sym.st_size, 1),
             names.c_str() + sym.st_name});
  }
  return table;
}

/// The name of the function symbol of `path`, loaded at `base`, covering
/// `address`, or "". Each file is read once (a profile names many
/// functions of the same executable).
std::string symbolAt(const std::string &path, uintptr_t address,
                     uintptr_t base) {
  static std::map<std::string, SymbolTable> tables;
  auto it = tables.find(path);
  if (it == tables.end())
    it = tables.emplace(path, readSymbols(path)).first;
  const SymbolTable &table = it->second;
  uint64_t at = table.relative ? address - base : address;
  for (const Symbol &sym : table.functions)
    if (sym.start <= at && at < sym.end)
      return sym.name;
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

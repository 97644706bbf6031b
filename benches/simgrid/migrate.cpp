// The same migrations as kvmlab's published rows, simulated by SimGrid's live-migration
// plugin, so `cargo bench --bench versus_simgrid` can time both engines side by side.
//
// Reads one migration per line on stdin: `name ram_mib wss_mib cap_mib_s dirty_mib_s`.
// Prints one line per migration: `name simulated_s wall_ns wall_ns ...`, the engine's wall
// time of each repetition (from the call to sg_vm_migrate to its return).
#include <simgrid/plugins/live_migration.h>
#include <simgrid/s4u.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

struct Migration {
  std::string name;
  int ram_mib;
  double wss_mib;
  double cap_mib_s;
  double dirty_mib_s;
};

constexpr double HOST_FLOPS = 1e9;
// The loopback link kvmlab's predictions use: 20 Gbit/s.
constexpr double LINK_BYTES_S = 2.5e9;

// Keeps the vCPU busy so that the plugin's dirty-page tracking sees flops computed, which it
// turns into dirtied bytes at `cap × intensity` per second of full CPU.
void busy_guest()
{
  for (;;)
    sg4::this_actor::execute(1e15);
}

void run_all(const std::vector<Migration>& migrations, int repetitions)
{
  sg4::Host* source      = sg4::Host::by_name("source");
  sg4::Host* destination = sg4::Host::by_name("destination");
  for (const auto& m : migrations) {
    std::vector<long long> wall_ns;
    double simulated = 0;
    for (int rep = 0; rep < repetitions; rep++) {
      auto* vm = sg_vm_create_migratable(source, ("vm-" + m.name).c_str(), 1, m.ram_mib, 1,
                                         static_cast<int>(m.dirty_mib_s / m.cap_mib_s * 100.0 + 0.5));
      sg_vm_set_migration_speed(vm, m.cap_mib_s * 1024 * 1024);
      sg_vm_set_working_set_memory(vm, static_cast<sg_size_t>(m.wss_mib * 1024 * 1024));
      vm->start();
      sg4::ActorPtr guest;
      if (m.dirty_mib_s > 0)
        guest = sg4::Actor::create("guest", vm, busy_guest);
      sg4::this_actor::sleep_for(1);
      double began = sg4::Engine::get_clock();
      auto start   = std::chrono::steady_clock::now();
      sg_vm_migrate(vm, destination);
      auto end = std::chrono::steady_clock::now();
      simulated = sg4::Engine::get_clock() - began;
      wall_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
      if (guest)
        guest->kill();
      vm->destroy();
    }
    std::printf("%s %.6f", m.name.c_str(), simulated);
    for (auto ns : wall_ns)
      std::printf(" %lld", ns);
    std::printf("\n");
  }
}

} // namespace

int main(int argc, char** argv)
{
  int repetitions = 200;
  if (argc > 1)
    repetitions = std::stoi(argv[1]);
  std::vector<Migration> migrations;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream fields(line);
    Migration m;
    if (fields >> m.name >> m.ram_mib >> m.wss_mib >> m.cap_mib_s >> m.dirty_mib_s)
      migrations.push_back(m);
  }
  // SimGrid parses its own options out of argv; it is given none.
  int no_argc     = 1;
  sg4::Engine engine(&no_argc, argv);
  sg_vm_live_migration_plugin_init();
  auto* zone   = sg4::create_full_zone("lab");
  auto* source = zone->create_host("source", HOST_FLOPS);
  auto* dest   = zone->create_host("destination", HOST_FLOPS);
  auto* link   = zone->create_link("loopback", LINK_BYTES_S)->set_latency(0)->seal();
  zone->add_route(source->get_netpoint(), dest->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(link)});
  zone->seal();
  sg4::Actor::create("migrations", source, run_all, migrations, repetitions);
  engine.run();
  return 0;
}

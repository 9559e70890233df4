/* cost_params.c — the assumptions of the energy, area and throughput model.
 *
 * Every number the cost model (cost.c) uses that is not counted by the simulation
 * is a parameter here, with its unit and the source of its default: paper
 * (Ambrogio et al. 2018), literature, or chosen (our estimate; the reasoning is in
 * docs/cost.md).  The paper gives its headline figures (28,065 GOP/s/W,
 * 3.6 TOPS/mm^2) but not the array size, node, periphery or timing behind them, so
 * almost every value is chosen.  The preset "ambrogio2018" sets every cost.*
 * parameter explicitly: the assumptions under which the model lands near the
 * paper's figures, two of them calibrated (docs/cost.md, "Calibration"). */
#include "cost/cost_params.h"

#include <stddef.h>
#include <string.h>

#define OFF(field) offsetof(mt_params, field)

/* clang-format off */
const param_def cost_param_table[] = {
/* ---- technology and area --------------------------------------------------------------- */
{"cost.node_nm", P_DOUBLE, OFF(cost.node_nm), 0, "14", 1, 1000, "nm", "chosen",
 "CMOS feature size F of cells and periphery (a 14 nm-class projection; cell areas are in F^2)", NULL},
{"cost.pcm_area_F2", P_DOUBLE, OFF(cost.pcm_area_F2), 0, "25", 1, 1e6, "F^2", "chosen",
 "area of one PCM device with its access transistor (1T1R)", NULL},
{"cost.cap3t1c_area_F2", P_DOUBLE, OFF(cost.cap3t1c_area_F2), 0, "250", 1, 1e6, "F^2", "chosen",
 "area of one 3T1C cell: read, pull-up and pull-down transistors and a trench capacitor", NULL},
{"cost.line_area_um2", P_DOUBLE, OFF(cost.line_area_um2), 0, "25", 0, 1e9, "um^2", "chosen",
 "periphery of one row or column line: input driver, update pulse driver, integrator, mux switch", NULL},
{"cost.adc_area_um2", P_DOUBLE, OFF(cost.adc_area_um2), 0, "1500", 0, 1e9, "um^2", "chosen",
 "area of one ADC (calibrated in the ambrogio2018 preset: docs/cost.md)", NULL},
{"cost.neuron_area_um2", P_DOUBLE, OFF(cost.neuron_area_um2), 0, "150", 0, 1e9, "um^2", "chosen",
 "activation, derivative and scaling logic of one ADC channel", NULL},
{"cost.tile_overhead_area_um2", P_DOUBLE, OFF(cost.tile_overhead_area_um2), 0, "5000", 0, 1e12,
 "um^2", "chosen", "control, buffers and routing of one tile", NULL},
/* ---- array reads ------------------------------------------------------------------------ */
{"cost.vdd_V", P_DOUBLE, OFF(cost.vdd_V), 0, "1", 0.01, 100, "V", "chosen",
 "supply of the 3T1C charging transistors and update lines (the capacitor's 1 V rail)", NULL},
{"cost.read_voltage_V", P_DOUBLE, OFF(cost.read_voltage_V), 0, "0.2", 0, 10, "V", "chosen",
 "read voltage across a cell while the column current is integrated (low enough not to disturb PCM)", NULL},
{"cost.cell_read_conductance_uS", P_DOUBLE, OFF(cost.cell_read_conductance_uS), 0, "10", 0, 1e6, "uS",
 "chosen", "mean conductance of a cell during a read, G+ + G- + g (PCM pair of a few uS each, g ~3 uS at 0.5 V)", NULL},
{"cost.integration_time_ns", P_DOUBLE, OFF(cost.integration_time_ns), 0, "40", 0, 1e9, "ns", "chosen",
 "full-scale current-integration window of one forward or backward read; read energy per MAC = V_read^2 G t", NULL},
{"cost.line_cap_per_cell_fF", P_DOUBLE, OFF(cost.line_cap_per_cell_fF), 0, "0.2", 0, 1e6, "fF", "chosen",
 "line (wire and junction) capacitance per cell charged to V_read by a read", NULL},
{"cost.dac_energy_fJ", P_DOUBLE, OFF(cost.dac_energy_fJ), 0, "100", 0, 1e9, "fJ", "chosen",
 "one input conversion: pulse-width generator and line driver", NULL},
{"cost.adc_bits", P_INT, OFF(cost.adc_bits), 0, "0", 0, 24, "bit", "chosen",
 "ADC resolution costed (0 = periph.adc_bits, the simulated one; must be set when that is 0 = ideal)", NULL},
{"cost.adc_fom_fJ_per_step", P_DOUBLE, OFF(cost.adc_fom_fJ_per_step), 0, "10", 0, 1e9, "fJ/step",
 "literature", "Walden figure of merit: energy per conversion = FoM 2^bits (Murmann's ADC survey: ~1-100 fJ/step; calibrated in ambrogio2018)", NULL},
{"cost.adc_conversion_ns", P_DOUBLE, OFF(cost.adc_conversion_ns), 0, "10", 0, 1e9, "ns", "chosen",
 "time of one conversion (100 MS/s SAR class)", NULL},
{"cost.outputs_per_adc", P_INT, OFF(cost.outputs_per_adc), 0, "8", 1, 1000000, "lines", "chosen",
 "row or column lines time-multiplexed onto one ADC (conversions of a pass in sequence)", NULL},
{"cost.neuron_energy_fJ", P_DOUBLE, OFF(cost.neuron_energy_fJ), 0, "500", 0, 1e9, "fJ", "chosen",
 "activation (or derivative), scaling and buffering of one converted output, digital", NULL},
{"cost.neuron_time_ns", P_DOUBLE, OFF(cost.neuron_time_ns), 0, "5", 0, 1e9, "ns", "chosen",
 "latency of the activation stage after a pass's last conversion", NULL},
/* ---- updates ---------------------------------------------------------------------------- */
{"cost.cap_capacitance_fF", P_DOUBLE, OFF(cost.cap_capacitance_fF), 0, "10", 0, 1e9, "fF", "chosen",
 "3T1C capacitor C; a pulse moves C dV (cap.dv_up_V/dv_down_V) from vdd, a re-initialisation at most C vdd^2", NULL},
{"cost.cap_pulse_gate_fF", P_DOUBLE, OFF(cost.cap_pulse_gate_fF), 0, "0.5", 0, 1e9, "fF", "chosen",
 "gate and local wire capacitance switched to vdd by one 3T1C pulse", NULL},
{"cost.update_pulse_ns", P_DOUBLE, OFF(cost.update_pulse_ns), 0, "5", 0, 1e9, "ns", "chosen",
 "one 3T1C update pulse slot; an update lasts cell.max_pulses_per_update slots", NULL},
{"cost.update_line_energy_fJ", P_DOUBLE, OFF(cost.update_line_energy_fJ), 0, "500", 0, 1e12, "fJ",
 "chosen", "driving one row or column line through one update's pulse train", NULL},
/* ---- PCM programming -------------------------------------------------------------------- */
{"cost.pcm_set_energy_pJ", P_DOUBLE, OFF(cost.pcm_set_energy_pJ), 0, "10", 0, 1e9, "pJ", "chosen",
 "one PCM SET pulse or ramp (transfers, 2pcm updates and refreshes)", NULL},
{"cost.pcm_set_ns", P_DOUBLE, OFF(cost.pcm_set_ns), 0, "100", 0, 1e9, "ns", "paper",
 "one SET pulse or ramp (paper: 8-step ramps of 13.6 ns to 4.4 us); also a 2pcm update slot", NULL},
{"cost.pcm_reset_energy_pJ", P_DOUBLE, OFF(cost.pcm_reset_energy_pJ), 0, "20", 0, 1e9, "pJ", "chosen",
 "one PCM RESET pulse (melt-quench: ~100 uA at ~1.5 V for tens of ns)", NULL},
{"cost.pcm_reset_ns", P_DOUBLE, OFF(cost.pcm_reset_ns), 0, "50", 0, 1e9, "ns", "chosen",
 "one RESET pulse", NULL},
/* ---- static power ----------------------------------------------------------------------- */
{"cost.cell_leakage_pW", P_DOUBLE, OFF(cost.cell_leakage_pW), 0, "1", 0, 1e9, "pW", "chosen",
 "static power of one unit cell (transistor off-state leakage), drawn over the run's time", NULL},
{"cost.tile_static_uW", P_DOUBLE, OFF(cost.tile_static_uW), 0, "10", 0, 1e9, "uW", "chosen",
 "static power of one tile's periphery (references, bias currents), drawn over the run's time", NULL},
/* ---- steady-state activity -------------------------------------------------------------- */
{"cost.cap_pulses_per_synapse_per_example", P_DOUBLE, OFF(cost.cap_pulses_per_synapse_per_example), 0,
 "0.0625", 0, 1e6, "pulses", "paper",
 "steady state, 2pcm3t1c: 3T1C pulses per synapse and training example (paper: ~1,000 per 16,000 images)", NULL},
{"cost.pcm_pulses_per_synapse_per_example", P_DOUBLE, OFF(cost.pcm_pulses_per_synapse_per_example), 0,
 "0.003125", 0, 1e6, "pulses", "paper",
 "steady state, 2pcm: SET pulses per synapse and training example (paper: ~50 per 16,000 images)", NULL},
{"cost.transfer_set_pulses_per_pair", P_DOUBLE, OFF(cost.transfer_set_pulses_per_pair), 0, "0.68", 0,
 1e6, "pulses", "chosen",
 "steady state: SET pulses per PCM pair and transfer (measured: memtrain train --preset mnist, docs/cost.md)", NULL},
{"cost.transfer_resets_per_pair", P_DOUBLE, OFF(cost.transfer_resets_per_pair), 0, "2", 0, 1e6,
 "pulses", "chosen", "steady state: RESETs per PCM pair and transfer (2: transfer.reset_before_program)", NULL},
{"cost.transfer_reads_per_pair", P_DOUBLE, OFF(cost.transfer_reads_per_pair), 0, "2.56", 0, 1e6,
 "reads", "chosen", "steady state: verify reads per PCM pair and transfer, the pre-transfer read included (measured)", NULL},
{"cost.writeback_pulses_per_cell", P_DOUBLE, OFF(cost.writeback_pulses_per_cell), 0, "103", 0, 1e9,
 "pulses", "chosen", "steady state: write-back pulses per 3T1C cell and transfer, mostly the 2 uS offset (measured)", NULL},
{"cost.writeback_reads_per_cell", P_DOUBLE, OFF(cost.writeback_reads_per_cell), 0, "3", 0, 1e6,
 "reads", "chosen", "steady state: write-back reads per 3T1C cell and transfer (measured)", NULL},
/* ---- the GPU compared against ----------------------------------------------------------- */
{"cost.gpu_tops", P_DOUBLE, OFF(cost.gpu_tops), 0, "14", 1e-6, 1e9, "TOPS", "literature",
 "throughput of the GPU compared against (NVIDIA V100 FP32 peak, 2018)", NULL},
{"cost.gpu_watts", P_DOUBLE, OFF(cost.gpu_watts), 0, "300", 1e-6, 1e9, "W", "literature",
 "power of the GPU compared against (NVIDIA V100 SXM2 board power)", NULL},
{"cost.gpu_area_mm2", P_DOUBLE, OFF(cost.gpu_area_mm2), 0, "815", 1e-6, 1e9, "mm^2", "literature",
 "die area of the GPU compared against (NVIDIA V100)", NULL},
};
/* clang-format on */
const size_t cost_param_count = sizeof cost_param_table / sizeof cost_param_table[0];

/* ------------------------------------------------------------------ presets */

typedef struct cost_preset {
    const char *name;
    const char *doc;
    const char *settings[48][2];
} cost_preset;

/* ambrogio2018 names every cost.* value (not only those that differ from the
 * defaults), so that the preset documents the complete assumption set and does not
 * move when a default changes.  Calibrated: cost.adc_fom_fJ_per_step (energy) and
 * cost.adc_area_um2 (area); docs/cost.md says why and what they would be otherwise. */
static const cost_preset presets[] = {
    {"ambrogio2018",
     "cost assumptions under which the 784-250-10 network lands near the paper's 28,065 GOP/s/W "
     "and 3.6 TOPS/mm^2 (docs/cost.md)",
     {{"cost.node_nm", "14"},
      {"cost.pcm_area_F2", "25"},
      {"cost.cap3t1c_area_F2", "250"},
      {"cost.line_area_um2", "25"},
      {"cost.adc_area_um2", "750"},          /* calibrated (default 1500) */
      {"cost.neuron_area_um2", "150"},
      {"cost.tile_overhead_area_um2", "5000"},
      {"cost.vdd_V", "1"},
      {"cost.read_voltage_V", "0.2"},
      {"cost.cell_read_conductance_uS", "10"},
      {"cost.integration_time_ns", "40"},
      {"cost.line_cap_per_cell_fF", "0.2"},
      {"cost.dac_energy_fJ", "100"},
      {"cost.adc_bits", "9"},
      {"cost.adc_fom_fJ_per_step", "69"},    /* calibrated (default 10) */
      {"cost.adc_conversion_ns", "10"},
      {"cost.outputs_per_adc", "8"},
      {"cost.neuron_energy_fJ", "500"},
      {"cost.neuron_time_ns", "5"},
      {"cost.cap_capacitance_fF", "10"},
      {"cost.cap_pulse_gate_fF", "0.5"},
      {"cost.update_pulse_ns", "5"},
      {"cost.update_line_energy_fJ", "500"},
      {"cost.pcm_set_energy_pJ", "10"},
      {"cost.pcm_set_ns", "100"},
      {"cost.pcm_reset_energy_pJ", "20"},
      {"cost.pcm_reset_ns", "50"},
      {"cost.cell_leakage_pW", "1"},
      {"cost.tile_static_uW", "10"},
      {"cost.cap_pulses_per_synapse_per_example", "0.0625"},
      {"cost.pcm_pulses_per_synapse_per_example", "0.003125"},
      {"cost.transfer_set_pulses_per_pair", "0.68"},
      {"cost.transfer_resets_per_pair", "2"},
      {"cost.transfer_reads_per_pair", "2.56"},
      {"cost.writeback_pulses_per_cell", "103"},
      {"cost.writeback_reads_per_cell", "3"}}},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

int cost_apply_preset(mt_params *p, const char *name, mt_error *err)
{
    for (size_t i = 0; i < N_PRESETS; i++) {
        if (strcmp(presets[i].name, name) != 0) continue;
        for (size_t k = 0; k < 48 && presets[i].settings[k][0]; k++) {
            int rc = mt_params_set(p, presets[i].settings[k][0], presets[i].settings[k][1], "preset",
                                   err);
            if (rc) return rc;
        }
        return MT_OK;
    }
    return MT_EINPUT;
}

const char *const *cost_preset_names(void)
{
    static const char *names[N_PRESETS + 1];
    for (size_t i = 0; i < N_PRESETS; i++) names[i] = presets[i].name;
    names[N_PRESETS] = NULL;
    return names;
}

const char *cost_preset_doc(const char *name)
{
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) return presets[i].doc;
    return NULL;
}

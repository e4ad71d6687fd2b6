using DashFlow.Model;

namespace DashFlow.Bench.Engine;

/// <summary>
/// The state a DASH outbound flow carries (saidashflow.py's entry): version, OUTBOUND, unidirectional with the swapped
/// tuple as reverse key, ENCAP_U0 (VXLAN, underlay-0 VNI, PA addresses and MACs) and SET_DMAC with an overlay MAC,
/// drawn from 1,024 distinct destinations.
/// </summary>
public static class OutboundFlowStates
{
    /// <summary>The number of distinct destinations.</summary>
    public const int Destinations = 1024;

    /// <summary>One state template per destination; the caller sets each flow's reverse key.</summary>
    public static FlowState[] MakeTemplates()
    {
        var templates = new FlowState[Destinations];
        for (int d = 0; d < Destinations; d++)
        {
            templates[d] = new FlowState
            {
                Version = 4,
                Direction = FlowDirection.Outbound,
                Actions = FlowAction.EncapU0 | FlowAction.SetDmac,
                IsUnidirectional = true,
                SyncState = FlowSyncState.FlowCreated,
                Rewrite = new FlowRewrite(
                    new UnderlayEncap(
                        100,
                        IpAddress.FromV4(0xAC10_0101),                  // 172.16.1.1
                        IpAddress.FromV4(0xAC14_0000u | (uint)d),        // 172.20.x.y, one PA per destination
                        new MacAddress(0x00_CC_CC_CC_CC_CCUL),
                        new MacAddress(0x00_DD_DD_00_00_00UL | (uint)d),
                        DashEncapsulation.Vxlan),
                    default,
                    new OverlayRewrite(new MacAddress(0x00_BB_BB_00_00_00UL | (uint)d), default, default, default, default)),
            };
        }

        return templates;
    }
}

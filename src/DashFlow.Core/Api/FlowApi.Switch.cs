using DashFlow.Model;

namespace DashFlow.Api;

// The switch/device object's capability attributes (D2, spec §3.8).
public sealed partial class FlowApi
{
    /// <summary>get_switch_attribute for the nine DASH_CAPS attributes and the supported flow actions (extension).</summary>
    public SaiStatus GetSwitchAttribute(Span<SaiAttribute> attributes)
    {
        var caps = Capabilities;
        for (int i = 0; i < attributes.Length; i++)
        {
            SaiAttributeValue value = attributes[i].Id switch
            {
                SwitchCapabilityAttr.MaxFlowTableCount => SaiAttributeValue.FromU32(caps.MaxFlowTableCount),
                SwitchCapabilityAttr.MaxFlowEntryCount => SaiAttributeValue.FromU32(caps.MaxFlowEntryCount),
                SwitchCapabilityAttr.SupportedEnabledKey => SaiAttributeValue.FromS32((int)caps.SupportedEnabledKey),
                SwitchCapabilityAttr.BulkGetSession => SaiAttributeValue.FromBool(caps.BulkGetSession),
                SwitchCapabilityAttr.UnidirectionalFlowEntry => SaiAttributeValue.FromBool(caps.UnidirectionalFlowEntry),
                SwitchCapabilityAttr.FlowCreate => SaiAttributeValue.FromBool(caps.FlowCreate),
                SwitchCapabilityAttr.FlowRemove => SaiAttributeValue.FromBool(caps.FlowRemove),
                SwitchCapabilityAttr.FlowSet => SaiAttributeValue.FromBool(caps.FlowSet),
                SwitchCapabilityAttr.FlowGet => SaiAttributeValue.FromBool(caps.FlowGet),
                SwitchCapabilityAttr.SupportedFlowAction => SaiAttributeValue.FromS32((int)caps.SupportedFlowActions),
                _ => default,
            };
            if (value.Kind == SaiValueKind.None)
            {
                return SaiStatuses.UnknownAttribute(i);
            }

            attributes[i] = attributes[i] with { Value = value };
        }

        return SaiStatus.Success;
    }
}

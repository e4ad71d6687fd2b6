using System.Collections.Concurrent;
using System.Threading.Channels;
using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Sessions;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// Fans the device's bulk-get notification callback (one per switch, as in SAI) out to every gRPC subscriber, each
/// through a bounded channel: a slow subscriber slows the sessions it watches instead of growing memory, and a
/// subscriber that goes away is dropped at once.
/// </summary>
public sealed class BulkGetEventHub : IDisposable
{
    private const int SubscriberCapacity = 4096;
    private readonly ConcurrentDictionary<long, Subscriber> _subscribers = new();
    private readonly FlowApi _api;
    private long _nextId;

    private readonly Hosting.AgentMetrics _metrics;

    public BulkGetEventHub(FlowApi api, Hosting.AgentMetrics metrics)
    {
        _api = api;
        _metrics = metrics;
        api.RegisterBulkGetSessionEventCallback(Publish);
    }

    /// <summary>Subscribes to one session's events (or every session's, for 0).</summary>
    public ChannelReader<Proto.BulkGetSessionEvent> Subscribe(ulong sessionId, CancellationToken cancellationToken, out long subscription)
    {
        var channel = Channel.CreateBounded<Proto.BulkGetSessionEvent>(new BoundedChannelOptions(SubscriberCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        subscription = Interlocked.Increment(ref _nextId);
        var subscriber = new Subscriber(sessionId, channel, cancellationToken);
        _subscribers[subscription] = subscriber;
        long id = subscription;
        cancellationToken.Register(() => Unsubscribe(id));
        return channel.Reader;
    }

    /// <summary>Ends a subscription.</summary>
    public void Unsubscribe(long subscription)
    {
        if (_subscribers.TryRemove(subscription, out var subscriber))
        {
            subscriber.Channel.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        _api.RegisterBulkGetSessionEventCallback(null);
        foreach (var id in _subscribers.Keys)
        {
            Unsubscribe(id);
        }
    }

    private void Publish(BulkGetSessionId sessionId, ReadOnlySpan<BulkGetSessionEventData> events)
    {
        foreach (var data in events)
        {
            if (data.EventType == BulkGetSessionEvent.Finished)
            {
                _metrics.SessionFinished(data.FinalState);
            }
        }

        if (_subscribers.IsEmpty)
        {
            return;
        }

        foreach (var data in events)
        {
            var message = ToMessage(sessionId, in data);
            foreach (var subscriber in _subscribers.Values)
            {
                if (subscriber.SessionId != 0 && subscriber.SessionId != sessionId.Value)
                {
                    continue;
                }

                if (!subscriber.Channel.Writer.TryWrite(message))
                {
                    try
                    {
                        // Full: wait (this runs on the session's dispatcher, so the session waits too) unless the subscriber leaves.
                        subscriber.Channel.Writer.WriteAsync(message, subscriber.Gone).AsTask().GetAwaiter().GetResult();
                    }
                    catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
                    {
                        // The subscriber went away; its registration removes it.
                    }
                }
            }
        }
    }

    private static Proto.BulkGetSessionEvent ToMessage(BulkGetSessionId sessionId, in BulkGetSessionEventData data)
    {
        var message = new Proto.BulkGetSessionEvent { SessionId = sessionId.Value, EventType = (uint)data.EventType };
        if (data.EventType == BulkGetSessionEvent.FlowEntry)
        {
            message.Key = AttributeConverter.ToMessage(data.FlowEntry);
            foreach (var attribute in data.Attributes.Span)
            {
                message.Attrs.Add(AttributeConverter.ToMessage(in attribute));
            }
        }
        else
        {
            message.FinalState = (uint)data.FinalState;
            message.EntriesDelivered = (ulong)data.EntriesDelivered;
        }

        return message;
    }

    private sealed record Subscriber(ulong SessionId, Channel<Proto.BulkGetSessionEvent> Channel, CancellationToken Gone);
}
